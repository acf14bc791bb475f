// Kesu sandbox page: pick who you are, open a chat, talk to the bot as in Telegram.
// Plain JavaScript, no library and no build step; the server is bot/sandbox/page.py.
"use strict";

const TEXTS = {
  zh_CN: {
    sandbox: "沙盒", company_time: "公司时间", minutes: "分钟", hour: "小时", day: "天",
    to_next_limit: "到下一个时限", to_next_ping: "下一条提醒", save_db: "保存数据库", reset: "重置演示",
    who_am_i: "我是", my_chats: "我的聊天", send: "发送", replying_to: "回复",
    type_here: "输入消息或命令，例如 /new", private_chat: "与 Kesu 的私聊", edited: "已编辑", pinned: "置顶",
    reply: "回复", reply_hint: "请回复此消息", next_limit: "下一个时限", none_due: "没有待到的时限",
    download: "下载", photo: "照片",
    reset_confirm: "重置后所有聊天和数据都会换成新的演示数据，页面语言保持中文。继续？",
    restored: "从保存的数据库启动：此前的聊天记录不在此显示。",
    pings_sent: { other: "已发出 {n} 条提醒或升级" },
    went_out: { other: "这次发出了 {n} 条消息（点击打开所在聊天）" },
    nothing_went_out: "这段时间没有发出任何消息",
    lang_button: "English", members: "成员", attach: "添加附件", colon: "：", remove: "移除",
    new_messages: "↓ 新消息", button_gone: "这条消息已更新，请使用新的按钮。", working: "正在推进时间……",
    sections: { sales: "业务部", quality: "质检与技术", production: "生产部门", support: "设备、采购、人力", leadership: "公司领导层" },
  },
  en: {
    sandbox: "sandbox", company_time: "Company time", minutes: "min", hour: "hour", day: "day",
    to_next_limit: "Next limit", to_next_ping: "Next ping", save_db: "Save database", reset: "Reset demo",
    who_am_i: "I am", my_chats: "My chats", send: "Send", replying_to: "Replying to",
    type_here: "Type a message or a command, e.g. /new", private_chat: "Private chat with Kesu",
    edited: "edited", pinned: "Pinned", reply: "Reply", reply_hint: "Reply to this message", next_limit: "next limit",
    none_due: "nothing due", download: "Download", photo: "photo",
    reset_confirm: "Reset replaces every chat and all data with fresh demo data; the page stays in English. Go on?",
    restored: "Started from a saved database: earlier chats are not shown here.",
    pings_sent: { one: "1 reminder or escalation sent", other: "{n} reminders or escalations sent" },
    went_out: { one: "1 message went out (click to open its chat)", other: "{n} messages went out (click to open each chat)" },
    nothing_went_out: "Nothing went out meanwhile",
    lang_button: "中文", members: "members", attach: "Attach a file", colon: ": ", remove: "Remove",
    new_messages: "↓ New messages", button_gone: "This message has changed; use its new buttons.", working: "Moving the clock…",
    sections: { sales: "Sales", quality: "Quality and technology", production: "Production", support: "Equipment, purchasing, HR", leadership: "Leadership" },
  },
};

const state = {
  world: null, me: null, chat: null, language: "zh_CN", replyTo: null, unread: {}, ahead: 0,
  stick: true, // the reader is at the newest message: new ones (and images) keep them there
  posted: null, // what the last jump of the clock sent
  seen: 0, // messages of the open chat already shown
};

const $ = (id) => document.getElementById(id);
const t = (key) => TEXTS[state.language][key] || key;
// A count in the reader's language: "1 reminder", "2 reminders", "2 条提醒".
function plural(key, n) {
  const forms = TEXTS[state.language][key];
  const form = new Intl.PluralRules(state.language === "en" ? "en" : "zh").select(n);
  return (forms[form] || forms.other).replace("{n}", n);
}

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
  const copy = (from, to, plain) => {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        if (plain) to.append(node.textContent); else to.append(...pressable(node.textContent));
        continue;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      if (!ALLOWED.has(node.tagName)) { copy(node, to, plain); continue; }
      const tag = node.tagName === "TG-SPOILER" ? "span" : node.tagName.toLowerCase();
      const element = document.createElement(tag);
      if (node.tagName === "TG-SPOILER" || node.classList.contains("tg-spoiler")) element.className = "spoiler";
      const href = node.getAttribute("href") || "";
      if (tag === "a" && /^(https?:|tg:)/.test(href)) { element.href = href; element.target = "_blank"; element.rel = "noopener"; }
      // As in Telegram: no command is pressable inside code or a link.
      copy(node, element, plain || ["a", "code", "pre"].includes(tag));
      to.append(element);
    }
  };
  if (parsed) copy(parsed, out, false);
  return out;
}

// As Telegram makes a bot command pressable, so is a complaint's number: pressing
// "/show KS-2026-0006", or "KS-2026-0006" anywhere, sends it from the reader.
const PRESSABLE = /(\/[a-z][a-z_]*(?:@\w+)?(?:\s+KS-\d{4}-\d{4})?)|(KS-\d{4}-\d{4})/g;

function pressable(text) {
  const pieces = [];
  let last = 0;
  for (const found of text.matchAll(PRESSABLE)) {
    const before = found.index > 0 ? text[found.index - 1] : "";
    if (found[1] && before && /[\w/]/.test(before)) continue; // a path, not a command
    if (found.index > last) pieces.push(text.slice(last, found.index));
    const link = document.createElement("a");
    link.className = "command";
    link.href = "#";
    link.textContent = found[0];
    const command = found[1] ? found[1].replace(/\s+/g, " ") : `/show ${found[2]}`;
    link.onclick = (event) => { event.preventDefault(); sendText(command); };
    pieces.push(link);
    last = found.index + found[0].length;
  }
  if (last < text.length) pieces.push(text.slice(last));
  return pieces;
}

function applyLanguage() {
  document.documentElement.lang = state.language === "en" ? "en" : "zh-CN";
  for (const element of document.querySelectorAll("[data-t]")) element.textContent = t(element.dataset.t);
  $("text").placeholder = t("type_here");
  $("lang").textContent = t("lang_button");
  if (state.chat) $("chat-title").textContent = chatTitle(state.chat);
  if (state.posted) showWentOut(state.posted, !$("went-out").hidden);
}

// The bot's own format, in the company's time zone: "2026-12-06 10:44", in either language.
function formatTime(iso) {
  if (!iso) return "—";
  const zone = (state.world && state.world.timezone) || "Asia/Shanghai";
  const parts = {};
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  for (const part of format.formatToParts(new Date(iso))) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

function showNextLimit(world) {
  $("next-due").textContent = world.next_limit
    ? `${t("next_limit")}${t("colon")}${formatTime(world.next_limit)}` : t("none_due");
}

// The page's first answers may come in any order (a card delivered before the first
// /sandbox/world): one load of the world at a time, and one more if asked meanwhile.
let worldLoading = null;
let worldAgain = false;
function refreshWorld() {
  if (worldLoading) { worldAgain = true; return worldLoading; }
  worldLoading = loadWorld().finally(() => {
    worldLoading = null;
    if (worldAgain) { worldAgain = false; refreshWorld(); }
  });
  return worldLoading;
}

async function loadWorld() {
  const world = await api("/sandbox/world");
  state.world = world;
  state.language = world.language;
  state.ahead = Date.parse(world.now) - Date.now(); // company time runs ahead after a jump
  applyLanguage();
  $("now").textContent = formatTime(world.now);
  showNextLimit(world);
  $("restored").hidden = !world.restored;
  state.me = (state.me && world.people.find((p) => p.id === state.me.id)) || world.people[0];
  renderPeople();
  renderChats();
  if (!state.chat || !chatsOf(state.me).some((c) => c.id === state.chat.id)) await openChat(chatsOf(state.me)[0]);
  else await loadChat();
}

function chatsOf(person) {
  const groups = state.world.groups.filter((g) => person.groups.includes(g.id));
  return [{ id: person.id }, ...groups];
}

function chatTitle(chat) {
  if (chat.id > 0) return t("private_chat");
  return chat.members ? `${chat.title} · ${chat.members.length} ${t("members")}` : chat.title;
}

function renderPeople() {
  const list = $("people");
  list.replaceChildren();
  let section = null;
  for (const person of state.world.people) {
    if (person.section !== section) { // the procedure's cast, department by department
      section = person.section;
      const heading = document.createElement("li");
      heading.className = "section";
      heading.textContent = TEXTS[state.language].sections[section] || section;
      list.append(heading);
    }
    const item = document.createElement("li");
    item.dataset.person = person.id;
    item.className = person.id === state.me.id ? "active" : "";
    const name = document.createElement("span");
    name.textContent = person.name;
    const role = document.createElement("small");
    const note = person.plant_note[state.language];
    role.textContent = note ? `${person.role[state.language]} · ${note}` : person.role[state.language];
    item.append(name, role);
    item.onclick = () => be(person.id);
    list.append(item);
    if (person.id === state.me.id) item.scrollIntoView({ block: "nearest" }); // who I am shows
  }
}

function closeWebApp() {
  $("webapp").hidden = true;
  $("webapp-frame").removeAttribute("src");
}

function be(personId, chatId) {
  closeWebApp(); // another person: another Telegram
  const person = state.world.people.find((p) => p.id === personId);
  if (!person) return;
  state.me = person;
  state.chat = null;
  state.replyTo = null;
  renderPeople();
  const chats = chatsOf(person);
  openChat(chats.find((c) => c.id === chatId) || chats[0]);
}

function renderChats() {
  const list = $("chats");
  list.replaceChildren();
  for (const chat of chatsOf(state.me)) {
    const item = document.createElement("li");
    item.dataset.chat = chat.id;
    item.className = state.chat && chat.id === state.chat.id ? "active" : "";
    const title = document.createElement("span");
    title.textContent = chat.id > 0 ? t("private_chat") : chat.title;
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
  state.stick = true;
  state.seen = 0;
  $("replying").hidden = true;
  $("newer").hidden = true;
  $("chat-title").textContent = chatTitle(chat);
  renderChats();
  await loadChat(true);
}

function atBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}

function toBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
  state.stick = true;
  $("newer").hidden = true;
}

async function loadChat(scroll = false) {
  const chat = state.chat;
  const data = await api(`/sandbox/chats/${chat.id}`);
  if (state.chat !== chat) return;
  const box = $("messages");
  box.replaceChildren(...data.messages.map((m) => renderMessage(m, data.messages)));
  showPinned(data.messages.find((m) => m.id === data.pinned));
  showMenu(data.menu);
  state.unread[chat.id] = 0;
  const more = data.messages.length > state.seen;
  state.seen = data.messages.length;
  if (scroll || state.stick) toBottom();
  else if (more) $("newer").hidden = false; // the reader is reading further up
}

// The pinned message (a chat's board) on a bar over the chat, as Telegram shows it;
// pressing it goes to the message.
function showPinned(message) {
  const bar = $("pinned");
  bar.hidden = !message;
  if (!message) return;
  const first = (message.text || "").split("\n").slice(0, 2).join(" · ");
  bar.replaceChildren();
  const label = document.createElement("b");
  label.textContent = `${t("pinned")} `;
  bar.append(label, first);
  bar.onclick = () => {
    const item = $("messages").querySelector(`[data-id="${message.id}"]`);
    if (item) item.scrollIntoView({ block: "center" });
  };
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
    // A picture grows the chat after it was scrolled: keep a reader at the bottom there.
    image.addEventListener("load", () => { if (state.stick) toBottom(); });
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
  else body.append(...pressable(message.text || ""));
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
  // Only a prompt that wants an answer offers to reply, as Telegram shows it.
  if (message.force_reply) {
    const reply = document.createElement("button");
    reply.type = "button";
    reply.className = "reply";
    reply.textContent = t("reply");
    reply.onclick = () => startReply(message);
    meta.append(reply);
    bubble.onclick = (event) => { if (event.target.tagName !== "A") startReply(message); };
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
        if (button.web_app) element.onclick = () => openWebApp(button.text);
        else if (button.url) element.onclick = () => openLink(button.text, button.url);
        else element.onclick = () => press(message, button.data);
        line.append(element);
      }
      keyboard.append(line);
    }
    item.append(keyboard);
  }
  return item;
}

// The Mini App (the dashboard), opened beside the chat as Telegram opens it over one:
// its menu button, a Mini App button, or its direct link. The emulator signs the
// initData it gets, as Telegram would.
function showMenu(menu) {
  const button = $("menu-app");
  const app = menu && menu.type === "web_app";
  button.hidden = !app;
  if (app) {
    button.textContent = menu.text;
    button.onclick = () => openWebApp(menu.text);
  }
}

async function openWebApp(title, start) {
  const query = new URLSearchParams({ user: state.me.id });
  if (start) query.set("start", start);
  const opened = await api(`/sandbox/webapp?${query}`);
  const hash = new URLSearchParams({
    tgWebAppData: opened.init_data, tgWebAppVersion: "8.0", tgWebAppPlatform: "web",
  });
  $("webapp-title").textContent = title;
  $("webapp-frame").src = `${opened.url}#${hash}`;
  $("webapp").hidden = false;
}

function openLink(title, url) {
  // Only the dashboard's direct link (t.me/<bot>/<app>) is Kesu's; nothing leaves here.
  const link = new URL(url);
  if (link.hostname === "t.me" && link.pathname.split("/").filter(Boolean).length === 2) {
    openWebApp(title, link.searchParams.get("startapp") || "");
  } else toast(url);
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
  detach();
  state.replyTo = null;
  $("replying").hidden = true;
  await loadChat(true);
}

async function sendText(text) {
  await api("/sandbox/send", { user_id: state.me.id, chat_id: state.chat.id, text, reply_to: null });
  await loadChat(true);
}

// The chosen file is shown before it is sent (a photo as a thumbnail), and can be removed.
function attached() {
  const file = $("file").files[0];
  if (!file) { detach(); return; }
  $("attached-name").textContent = `${file.name} · ${Math.max(1, Math.round(file.size / 1024))} KB`;
  const thumb = $("attached-thumb");
  if (thumb.src) URL.revokeObjectURL(thumb.src);
  if (file.type.startsWith("image/")) { thumb.src = URL.createObjectURL(file); thumb.hidden = false; }
  else { thumb.removeAttribute("src"); thumb.hidden = true; }
  $("attached").hidden = false;
}

function detach() {
  $("file").value = "";
  const thumb = $("attached-thumb");
  if (thumb.src) URL.revokeObjectURL(thumb.src);
  thumb.removeAttribute("src");
  thumb.hidden = true;
  $("attached").hidden = true;
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
    toast(plural("pings_sent", result.pings));
    showWentOut(result.posted);
    await refreshWorld();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// After a jump: what went out and to whom, each line opening its chat (as a person in it).
function showWentOut(posted, open = true) {
  state.posted = posted;
  const list = $("went-out-list");
  list.replaceChildren();
  $("went-out-title").textContent = posted.length ? plural("went_out", posted.length) : t("nothing_went_out");
  for (const item of posted) {
    const line = document.createElement("li");
    line.dataset.chat = item.chat;
    const where = document.createElement("b");
    where.textContent = item.chat > 0 ? `${item.title} · ${t("private_chat")}` : item.title;
    line.append(where, ` — ${item.text}`);
    line.onclick = () => be(item.person, item.chat);
    list.append(line);
  }
  $("went-out").hidden = !open;
}

function listen() {
  const events = new EventSource("/sandbox/events");
  let pending = null;
  events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.world || event.clock) { refreshWorld(); return; }
    // Before the first /sandbox/world there is nothing to mark: it reads every chat anyway.
    if (event.chat === undefined || !state.world || !state.me) return;
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
  $("file").onchange = attached;
  $("attached-remove").onclick = detach;
  $("reply-cancel").onclick = () => { state.replyTo = null; $("replying").hidden = true; };
  $("alert-ok").onclick = () => { $("alert").hidden = true; };
  $("went-out-close").onclick = () => { $("went-out").hidden = true; };
  $("webapp-close").onclick = closeWebApp;
  $("newer").onclick = toBottom;
  $("messages").addEventListener("scroll", () => {
    state.stick = atBottom($("messages"));
    if (state.stick) $("newer").hidden = true;
  });
  for (const id of ["ff-15m", "ff-1h", "ff-1d"]) {
    $(id).onclick = () => advance({ seconds: Number($(id).dataset.seconds) });
  }
  $("ff-limit").onclick = () => advance({ to: "limit" });
  $("ff-ping").onclick = () => advance({ to: "ping" });
  $("reset").onclick = async () => {
    // A database the person named (--db) is named in the question, and the answer
    // carries its name: the server resets it on nothing less.
    const named = state.world && state.world.database;
    const question = named ? `${t("reset_confirm")}\n\n${named}` : t("reset_confirm");
    if (!confirm(question)) return;
    state.me = null; state.chat = null; state.unread = {};
    $("went-out").hidden = true;
    await api("/sandbox/reset", named ? { confirm: named } : {});
    await refreshWorld();
  };
  $("lang").onclick = async () => {
    await api("/sandbox/language", { language: state.language === "en" ? "zh_CN" : "en" });
    await refreshWorld();
  };
  listen();
  refreshWorld();
  // The company clock keeps running between jumps; the next limit moves as steps are done.
  setInterval(() => {
    if (state.world) $("now").textContent = formatTime(new Date(Date.now() + state.ahead).toISOString());
  }, 10000);
  setInterval(async () => {
    if (!state.world) return;
    showNextLimit(await api("/sandbox/world"));
  }, 30000);
}

init();
