// Kesu sandbox page: pick who you are, open a chat, talk to the bot as in Telegram.
// Plain JavaScript, no library and no build step; the server is bot/sandbox/page.py.
"use strict";

const TEXTS = {
  zh_CN: {
    sandbox: "沙盒", company_time: "公司时间", minutes: "分钟", hour: "小时", day: "天",
    to_next_due: "到下一个时限", save_db: "保存数据库", reset: "重置演示", who_am_i: "我是",
    my_chats: "我的聊天", send: "发送", replying_to: "回复", type_here: "输入消息或命令,例如 /new",
    private_chat: "与 Kesu 的私聊", edited: "已编辑", reply: "回复", reply_hint: "请回复此消息",
    next_due: "下一个时限", none_due: "没有待到的时限", download: "下载", photo: "照片",
    reset_confirm: "重置后所有聊天和数据都会换成新的演示数据。继续?",
    restored: "从保存的数据库启动:此前的聊天记录不在此显示。",
    pings_sent: "已发出 {n} 条提醒或升级", lang_button: "English", members: "成员", attach: "附件", button_gone: "这条消息已更新,请使用新的按钮。", working: "正在推进时间……",
  },
  en: {
    sandbox: "sandbox", company_time: "Company time", minutes: "min", hour: "hour", day: "day",
    to_next_due: "To the next due time", save_db: "Save database", reset: "Reset demo",
    who_am_i: "I am", my_chats: "My chats", send: "Send", replying_to: "Replying to",
    type_here: "Type a message or a command, e.g. /new", private_chat: "Private chat with Kesu",
    edited: "edited", reply: "Reply", reply_hint: "Reply to this message", next_due: "next due",
    none_due: "nothing due", download: "Download", photo: "photo",
    reset_confirm: "Reset replaces every chat and all data with fresh demo data. Go on?",
    restored: "Started from a saved database: earlier chats are not shown here.",
    pings_sent: "{n} reminders or escalations sent", lang_button: "中文", members: "members", attach: "File", button_gone: "This message has changed; use its new buttons.", working: "Moving the clock…",
  },
};

const state = {
  world: null, me: null, chat: null, language: "zh_CN", replyTo: null, unread: {}, ahead: 0,
};

const $ = (id) => document.getElementById(id);
const t = (key) => TEXTS[state.language][key] || key;

// Every POST is JSON from this page: the server refuses anything else (and anything
// without the page's same-site cookie), so no other web site can drive the sandbox.
async function api(path, body) {
  const options = body === undefined ? {} :
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

// Telegram HTML, kept to the tags Telegram itself accepts; everything else becomes text.
const ALLOWED = new Set(["B", "STRONG", "I", "EM", "U", "INS", "S", "STRIKE", "DEL", "CODE", "PRE",
  "A", "BLOCKQUOTE", "TG-SPOILER", "SPAN"]);

function telegramHtml(source) {
  const parsed = new DOMParser().parseFromString(`<div>${source}</div>`, "text/html").body.firstChild;
  const out = document.createElement("div");
  const copy = (from, to) => {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) { to.append(node.textContent); continue; }
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      if (!ALLOWED.has(node.tagName)) { copy(node, to); continue; }
      const tag = node.tagName === "TG-SPOILER" ? "span" : node.tagName.toLowerCase();
      const element = document.createElement(tag);
      if (node.tagName === "TG-SPOILER" || node.classList.contains("tg-spoiler")) element.className = "spoiler";
      const href = node.getAttribute("href") || "";
      if (tag === "a" && /^(https?:|tg:)/.test(href)) { element.href = href; element.target = "_blank"; element.rel = "noopener"; }
      copy(node, element);
      to.append(element);
    }
  };
  if (parsed) copy(parsed, out);
  return out;
}

function applyLanguage() {
  document.documentElement.lang = state.language === "en" ? "en" : "zh-CN";
  for (const element of document.querySelectorAll("[data-t]")) element.textContent = t(element.dataset.t);
  $("text").placeholder = t("type_here");
  $("lang").textContent = t("lang_button");
}

function formatTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(state.language === "en" ? "en-GB" : "zh-CN",
    { timeZone: state.world.timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

async function loadWorld() {
  state.world = await api("/sandbox/world");
  state.language = state.world.language;
  state.ahead = Date.parse(state.world.now) - Date.now(); // company time runs ahead after a jump
  applyLanguage();
  $("now").textContent = formatTime(state.world.now);
  $("next-due").textContent = state.world.next_due
    ? `${t("next_due")}: ${formatTime(state.world.next_due)}` : t("none_due");
  $("restored").hidden = !state.world.restored;
  if (!state.me) state.me = state.world.people[0];
  else state.me = state.world.people.find((p) => p.id === state.me.id) || state.world.people[0];
  renderPeople();
  renderChats();
  if (!state.chat || !chatsOf(state.me).some((c) => c.id === state.chat.id)) openChat(chatsOf(state.me)[0]);
  else await loadChat();
}

function chatsOf(person) {
  const groups = state.world.groups.filter((g) => person.groups.includes(g.id));
  return [{ id: person.id, title: t("private_chat") }, ...groups];
}

function renderPeople() {
  const list = $("people");
  list.replaceChildren();
  for (const person of state.world.people) {
    const item = document.createElement("li");
    item.dataset.person = person.id;
    item.className = person.id === state.me.id ? "active" : "";
    const name = document.createElement("span");
    name.textContent = person.name;
    const role = document.createElement("small");
    role.textContent = person.role[state.language];
    item.append(name, role);
    item.onclick = () => { state.me = person; state.chat = null; state.replyTo = null; renderPeople(); renderChats(); openChat(chatsOf(person)[0]); };
    list.append(item);
  }
}

function renderChats() {
  const list = $("chats");
  list.replaceChildren();
  for (const chat of chatsOf(state.me)) {
    const item = document.createElement("li");
    item.dataset.chat = chat.id;
    item.className = state.chat && chat.id === state.chat.id ? "active" : "";
    const title = document.createElement("span");
    title.textContent = chat.title;
    item.append(title);
    const unread = state.unread[chat.id] || 0;
    if (unread > 0 && !(state.chat && chat.id === state.chat.id)) {
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = unread;
      item.append(badge);
    }
    item.onclick = () => openChat(chat);
    list.append(item);
  }
}

async function openChat(chat) {
  state.chat = chat;
  state.replyTo = null;
  $("replying").hidden = true;
  const members = chat.members ? ` · ${chat.members.length} ${t("members")}` : "";
  $("chat-title").textContent = chat.title + members;
  renderChats();
  await loadChat(true);
}

async function loadChat(scroll = false) {
  const chat = state.chat;
  const data = await api(`/sandbox/chats/${chat.id}`);
  if (state.chat !== chat) return;
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  box.replaceChildren(...data.messages.map((m) => renderMessage(m, data.messages)));
  state.unread[chat.id] = 0;
  if (scroll || atBottom) box.scrollTop = box.scrollHeight;
}

function renderMessage(message, all) {
  const item = document.createElement("li");
  const mine = !message.from_bot && message.from_id === state.me.id;
  item.className = "msg" + (mine ? " mine" : "") + (message.from_bot ? " bot" : "");
  item.dataset.id = message.id;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (!mine && state.chat.id < 0) {
    const who = document.createElement("div");
    who.className = "who";
    who.textContent = message.from_name;
    bubble.append(who);
  }
  if (message.reply_to) {
    const quoted = all.find((m) => m.id === message.reply_to);
    if (quoted) {
      const quote = document.createElement("div");
      quote.className = "quote";
      quote.textContent = quoted.text || t("photo");
      bubble.append(quote);
    }
  }
  if (message.kind === "photo" && message.file_id) {
    const image = document.createElement("img");
    image.src = `/sandbox/files/${encodeURIComponent(message.file_id)}`;
    image.alt = t("photo");
    bubble.append(image);
  } else if (message.kind === "document" && message.file_id) {
    const link = document.createElement("a");
    link.href = `/sandbox/files/${encodeURIComponent(message.file_id)}`;
    link.textContent = `📄 ${message.file_name || t("download")}`;
    link.download = message.file_name || "";
    bubble.append(link);
  }
  const body = document.createElement("div");
  body.className = "text";
  if (message.from_bot && message.html) body.append(telegramHtml(message.html));
  else body.textContent = message.text;
  bubble.append(body);
  if (message.force_reply) {
    const hint = document.createElement("div");
    hint.className = "force";
    hint.textContent = `↩ ${t("reply_hint")}`;
    bubble.append(hint);
  }
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = (message.edited ? `${t("edited")} · ` : "") + formatTime(new Date(message.date * 1000).toISOString());
  if (message.from_bot) {
    const reply = document.createElement("button");
    reply.type = "button";
    reply.className = "reply";
    reply.textContent = t("reply");
    reply.onclick = () => startReply(message);
    meta.append(reply);
  }
  bubble.append(meta);
  item.append(bubble);
  if (message.rows.length) {
    const keyboard = document.createElement("div");
    keyboard.className = "kb";
    for (const row of message.rows) {
      const line = document.createElement("div");
      line.className = "row";
      for (const button of row) {
        const element = document.createElement("button");
        element.type = "button";
        element.textContent = button.text;
        element.dataset.data = button.data;
        element.onclick = () => press(message, button.data);
        line.append(element);
      }
      keyboard.append(line);
    }
    item.append(keyboard);
  }
  if (message.force_reply) bubble.onclick = () => startReply(message);
  return item;
}

function startReply(message) {
  state.replyTo = message.id;
  $("reply-text").textContent = (message.text || "").split("\n")[0].slice(0, 60);
  $("replying").hidden = false;
  $("text").focus();
}

async function press(message, data) {
  const answer = await api("/sandbox/press", {
    user_id: state.me.id, chat_id: state.chat.id, message_id: message.id, data,
  });
  if (answer.gone) toast(t("button_gone"));
  else if (answer.text) answer.show_alert ? showAlert(answer.text) : toast(answer.text);
}

function toast(text) {
  const element = $("toast");
  element.textContent = text;
  element.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { element.hidden = true; }, 2500);
}

function showAlert(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
}

async function send(event) {
  event.preventDefault();
  const text = $("text").value;
  const file = $("file").files[0];
  if (!text.trim() && !file) return;
  const message = { user_id: state.me.id, chat_id: state.chat.id, text, reply_to: state.replyTo };
  if (file) {
    message.file = { name: file.name, type: file.type, data: await base64(file) };
  }
  await api("/sandbox/send", message);
  $("text").value = "";
  $("file").value = "";
  state.replyTo = null;
  $("replying").hidden = true;
  await loadChat(true);
}

function base64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

async function advance(body) {
  const buttons = document.querySelectorAll(".controls button");
  buttons.forEach((b) => { b.disabled = true; });
  toast(t("working"));
  try {
    const result = await api("/sandbox/clock", body);
    toast(t("pings_sent").replace("{n}", result.pings));
    await loadWorld();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

function listen() {
  const events = new EventSource("/sandbox/events");
  let pending = null;
  events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.world || event.clock) { loadWorld(); return; }
    if (event.chat === undefined) return;
    if (state.chat && event.chat === state.chat.id) {
      clearTimeout(pending);
      pending = setTimeout(() => loadChat(), 60); // a burst of edits is read once
    } else {
      state.unread[event.chat] = (state.unread[event.chat] || 0) + 1;
      renderChats();
    }
  };
}

function init() {
  $("composer").onsubmit = send;
  $("reply-cancel").onclick = () => { state.replyTo = null; $("replying").hidden = true; };
  $("alert-ok").onclick = () => { $("alert").hidden = true; };
  for (const id of ["ff-15m", "ff-1h", "ff-1d"]) {
    $(id).onclick = () => advance({ seconds: Number($(id).dataset.seconds) });
  }
  $("ff-next").onclick = () => advance({});
  $("reset").onclick = async () => {
    // A database the person named (--db) is named in the question, and the answer
    // carries its name: the server resets it on nothing less.
    const named = state.world && state.world.database;
    const question = named ? `${t("reset_confirm")}\n\n${named}` : t("reset_confirm");
    if (!confirm(question)) return;
    state.me = null; state.chat = null; state.unread = {};
    await api("/sandbox/reset", named ? { confirm: named } : {});
    await loadWorld();
  };
  $("lang").onclick = async () => {
    await api("/sandbox/language", { language: state.language === "en" ? "zh_CN" : "en" });
    await loadWorld();
  };
  listen();
  loadWorld();
  // The company clock keeps running between jumps; the next due time moves as jobs fire.
  setInterval(() => {
    if (state.world) $("now").textContent = formatTime(new Date(Date.now() + state.ahead).toISOString());
  }, 10000);
  setInterval(async () => {
    if (!state.world) return;
    const world = await api("/sandbox/world");
    $("next-due").textContent = world.next_due ? `${t("next_due")}: ${formatTime(world.next_due)}` : t("none_due");
  }, 30000);
}

init();
