// Kesu's dashboard, a Telegram Mini App. Every request carries Telegram's signed
// initData; the server answers with figures it computed and labels in the reader's
// language. Text from the server reaches the page only through `el` (text nodes, never
// markup): a customer named "<img onerror=…>" stays a name.
"use strict";

const tg = window.Telegram && window.Telegram.WebApp;
const state = { lang: null, texts: {}, sees_all: false, charts: [], view: "overview", page: 1, filters: {} };

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "on") for (const [event, f] of Object.entries(value)) node.addEventListener(event, f);
    else if (key === "class") node.className = value;
    else if (key === "data") for (const [k, v] of Object.entries(value)) node.dataset[k] = v;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function t(key) { return state.texts[key] || key; }

async function post(path, body) {
  const query = new URLSearchParams();
  if (state.lang) query.set("lang", state.lang);
  const response = await fetch(`api/${path}?${query}`, {
    method: "POST",
    headers: { Authorization: `tma ${tg ? tg.initData : ""}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
    cache: "no-store",
  });
  const answer = await response.json().catch(() => ({ error: String(response.status) }));
  return { status: response.status, answer };
}

async function api(path, params) {
  const query = new URLSearchParams(params || {});
  if (state.lang) query.set("lang", state.lang);
  const response = await fetch(`api/${path}?${query}`, {
    headers: { Authorization: `tma ${tg ? tg.initData : ""}` },
    cache: "no-store",
  });
  const body = await response.json().catch(() => ({ error: String(response.status) }));
  if (!response.ok) throw Object.assign(new Error(body.error || response.status), { status: response.status, reason: body.error });
  return body;
}

// A file of the complaint, fetched with initData like every request: a photo shows in
// the page, anything else is saved (a hostile document is never opened as a page).
async function fetchFile(path, params) {
  const query = new URLSearchParams(params || {});
  if (state.lang && !query.has("lang")) query.set("lang", state.lang);
  const response = await fetch(`api/${path}?${query}`, {
    headers: { Authorization: `tma ${tg ? tg.initData : ""}` },
    cache: "no-store",
  });
  if (!response.ok) throw Object.assign(new Error(String(response.status)), { reason: "not_found" });
  return response.blob();
}

async function openFile(number, file, box) {
  const blob = await fetchFile(`complaints/${encodeURIComponent(number)}/files/${encodeURIComponent(file.id)}`);
  if (file.kind === "photo") {
    box.replaceChildren(el("img", { src: URL.createObjectURL(blob), alt: file.name, class: "photo" }));
  } else save(blob, file.name);
}

function save(blob, name) {
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

function chart(height) {
  const box = el("div", { class: "chart" });
  if (height) box.style.height = `${height}px`;
  return box;
}

function draw(box, option) {
  // After the box is in the page, so that ECharts knows its width.
  const drawn = echarts.init(box, null, { renderer: "canvas" });
  drawn.setOption(Object.assign({ animation: false, grid: { left: 48, right: 16, top: 28, bottom: 40 } }, option));
  state.charts.push(drawn);
  return drawn;
}

function clear() {
  for (const drawn of state.charts) drawn.dispose();
  state.charts = [];
  const main = document.getElementById("main");
  main.replaceChildren();
  return main;
}

function signedOut() {
  clear();
  document.getElementById("signed-out").hidden = false;
}

function failed(error) {
  if (error.status === 401) return signedOut();
  const main = clear();
  const reason = error.reason && state.texts[error.reason] ? t(error.reason) : String(error.message);
  main.append(el("p", { class: "error", id: "error" }, reason));
}

function section(title, ...children) {
  return el("section", {}, el("h2", {}, title), ...children);
}

function bars(box, labels, values, name) {
  return draw(box, {
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: labels, axisLabel: { interval: 0, hideOverlap: true } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", name, data: values, label: { show: true, position: "top" } }],
  });
}

// Overview ---------------------------------------------------------------------------

async function overview() {
  const found = await api("overview");
  const main = clear();
  const grade = chart(200), plant = chart(200), age = chart(200), late = chart(), onTime = chart(), cost = chart();
  main.append(
    section(t("open_title"), el("div", { class: "figure", id: "open-total" }, found.open_complaints.total),
      el("p", { class: "hint" }, t("by_grade")), grade,
      el("p", { class: "hint" }, t("by_plant")), plant,
      el("p", { class: "hint" }, t("by_age")), age),
    section(t("overdue"), el("div", { class: "figure", id: "overdue-total" }, found.overdue.total),
      el("p", { class: "hint" }, t("by_department")), late,
      el("p", { class: "hint" }, t("by_person")),
      el("table", { id: "overdue-people" }, found.overdue.people.map((p) => el("tr", {}, el("td", {}, p.label), el("td", {}, p.n))))),
    section(t("on_time"), onTime),
    section(t("cost"), cost),
    section(t("recurring"), el("div", { class: "figure", id: "recurring-total" }, found.recurring.total), rows(found.recurring.rows, "recurring")),
    section(t("majors"), el("div", { class: "figure", id: "majors-total" }, found.majors.total),
      el("table", { id: "majors" }, found.majors.rows.map((m) =>
        el("tr", { class: "row", on: { click: () => complaint(m.number) } },
          el("td", {}, m.number),
          el("td", {}, m.plan || t("no_plan")),
          el("td", {}, `${m.items_accepted}/${m.items} ${t("items_accepted")}`))))),
  );
  bars(grade, found.open_complaints.grade.map((g) => g.label), found.open_complaints.grade.map((g) => g.n));
  draw(plant, {
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], data: found.open_complaints.plant.map((p) => ({ name: p.label, value: p.n })), label: { formatter: "{b}: {c}" } }],
  });
  bars(age, found.open_complaints.age.map((a) => a.label), found.open_complaints.age.map((a) => a.n));
  draw(late, {
    grid: { left: 90, right: 24, top: 10, bottom: 24 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: found.overdue.departments.map((d) => d.label), inverse: true },
    series: [{ type: "bar", data: found.overdue.departments.map((d) => d.n), label: { show: true, position: "right" } }],
  });
  draw(onTime, {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    xAxis: { type: "category", data: found.on_time.weeks.map((w) => w.slice(5)) },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", max: 100, min: 0, axisLabel: { formatter: "{value}%" } }],
    series: [
      { type: "bar", stack: "done", name: t("on_time_share").replace(" %", ""), data: found.on_time.on_time },
      { type: "bar", stack: "done", name: t("late_label"), data: found.on_time.late_steps, itemStyle: { color: "#c62828" } },
      { type: "line", name: t("on_time_share"), yAxisIndex: 1, data: found.on_time.share, connectNulls: true },
    ],
  });
  bars(cost, found.cost.months, found.cost.yuan);
  // When the overview stood drawn, since the page began loading (bench/dashboard.py).
  document.body.dataset.rendered = String(Math.round(performance.now()));
}

function rows(list, id) {
  return el("table", { class: "complaints", id }, list.map((c) =>
    el("tr", { class: "row", data: { number: c.number }, on: { click: () => complaint(c.number) } },
      el("td", {}, c.number, el("br"), el("span", { class: "hint" }, c.received)),
      el("td", {}, c.customer, el("br"), el("span", { class: "hint" }, c.product)),
      el("td", {}, c.grade_label, el("br"), el("span", { class: "hint" }, `${c.plant} · ${c.status}`)))));
}

// Pareto -------------------------------------------------------------------------------

async function pareto(period) {
  const found = await api("pareto", period ? { period } : {});
  const main = clear();
  const input = el("input", { id: "period", value: found.period.includes("W") ? "" : found.period, placeholder: t("period_hint") });
  const byCount = chart(280), byCost = chart(280);
  main.append(
    el("form", { class: "filters", on: { submit: (e) => { e.preventDefault(); pareto(input.value.trim()).catch(failed); } } },
      input, el("button", { class: "primary", type: "submit" }, t("apply"))),
    el("p", { class: "hint", id: "pareto-period" }, `${found.period} · ${found.complaints}`),
    section(t("causes_by_count"), byCount),
    section(t("causes_by_cost"), byCost),
  );
  for (const [box, list] of [[byCount, found.by_count], [byCost, found.by_cost]]) {
    draw(box, {
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: list.map((b) => b.label), axisLabel: { interval: 0 } },
      yAxis: [{ type: "value" }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { type: "bar", data: list.map((b) => b.value), label: { show: true, position: "top" } },
        { type: "line", name: t("cumulative"), yAxisIndex: 1, data: list.map((b) => b.cumulative) },
      ],
    });
  }
}

// The list -----------------------------------------------------------------------------

function choice(name, options) {
  const select = el("select", { name },
    el("option", { value: "" }, t("all")),
    options.map(([value, label]) => el("option", { value }, label)));
  select.value = state.filters[name] || "";
  return select;
}

async function list(page) {
  state.page = page || 1;
  const found = await api("complaints", Object.assign({ page: state.page }, state.filters));
  const main = clear();
  const field = (name, label) => el("input", { name, placeholder: label, value: state.filters[name] || "" });
  const form = el("form", { class: "filters", id: "filters", on: { submit: (e) => {
      e.preventDefault();
      state.filters = Object.fromEntries([...new FormData(form)].filter(([, v]) => v));
      list(1).catch(failed);
    } } },
    field("q", t("search")), field("customer", t("customer")), field("product", t("product")),
    field("period", t("period")),
    choice("plant", [["huangwu", "黄务 Huangwu"], ["laishan", "莱山 Laishan"], ["contractor", "外协 Contractor"]]),
    choice("grade", [["A", "A"], ["B", "B"], ["C", "C"]]),
    choice("status", [["open", t("status_open")], ["closed", t("status_closed")]]),
    el("button", { class: "primary", type: "submit" }, t("apply")));
  const pager = el("div", { class: "pager" },
    el("button", { type: "button", id: "previous", on: { click: () => list(found.page - 1).catch(failed) } }, t("previous")),
    el("span", { id: "page" }, t("page").replace("%(page)s", found.page).replace("%(pages)s", found.pages).replace("%(total)s", found.total)),
    el("button", { type: "button", id: "next", on: { click: () => list(found.page + 1).catch(failed) } }, t("next")));
  pager.querySelector("#previous").disabled = found.page <= 1;
  pager.querySelector("#next").disabled = found.page >= found.pages;
  main.append(form, section(t("list"), rows(found.rows, "list"), pager));
}

// One complaint --------------------------------------------------------------------------

async function complaint(number) {
  const c = await api(`complaints/${encodeURIComponent(number)}`);
  const main = clear();
  const back = el("button", { type: "button", id: "back", on: { click: () => show(state.view) } }, t("back"));
  main.append(
    back,
    c.may_plan ? el("button", { type: "button", class: "primary", id: "fill-plan", on: { click: () => planForm(c.number).catch(failed) } }, t("fill_plan")) : null,
    section(`${c.number} · ${c.grade_label}`,
      el("p", {}, `${c.customer} · ${c.product} · ${c.quantity}`),
      el("p", {}, c.content),
      el("p", { class: "hint" }, `${c.received} · ${c.plant} · ${c.status}${c.causes.length ? " · " + c.causes.join("、") : ""}`),
      c.recheck ? el("p", {}, `${t("recheck")}: ${c.recheck.state} · ${c.recheck.at}`) : null),
    section(t("steps"), el("ol", { class: "steps", id: "steps" }, c.steps.map((s) =>
      el("li", { class: s.is_late ? "late-step" : "" },
        el("b", {}, s.title), ` · ${s.owner}${s.assignee ? " (" + s.assignee + ")" : ""} · ${s.status}`,
        s.due ? el("span", { class: s.is_late ? "late" : "hint" }, ` · ${t("due")} ${s.due}`) : null,
        s.done_at ? el("span", { class: "hint" }, ` · ${s.done_by || ""} ${s.done_at}`) : null,
        s.outcome ? ` · ${s.outcome}` : null,
        s.extension_to ? el("span", { class: "hint" }, ` → ${s.extension_to}`) : null)))),
    c.signatures.length ? section(t("signatures"), el("ul", { id: "signatures" }, c.signatures.map((g) =>
      el("li", {}, "✍️ ", el("b", {}, g.meaning), ` · ${g.by} · ${g.at}${g.what ? " · " + g.what : ""}${g.item ? " · " + g.item : ""}`)))) : null,
    c.costs.length ? section(t("costs"), el("ul", {}, c.costs.map((k) => el("li", {}, `${k.kind}: ${k.amount}`)))) : null,
    c.plan ? section(`${t("plan")} · ${c.plan.owner} · ${c.plan.deadline} (${c.plan.items_accepted}/${c.plan.items.length})`,
      el("table", { id: "plan-items" }, c.plan.items.map((i) =>
        el("tr", {}, el("td", {}, i.number), el("td", {}, i.action, el("br"), el("span", { class: "hint" }, i.requirement)),
          el("td", {}, i.owner, el("br"), el("span", { class: "hint" }, `${i.due} · ${i.status}`)))))) : null,
    c.meetings.length ? section(t("meetings"), el("ul", {}, c.meetings.map((m) => el("li", {}, `${m.at} · ${m.place}${m.minutes ? " · " + m.minutes : ""}`)))) : null,
    c.files.length ? section(t("files"), el("ul", { id: "files" }, c.files.map((f) => {
      const shown = el("div", { class: "shown" });
      const open = el("button", { type: "button", class: "file", on: { click: () => openFile(c.number, f, shown).catch((e) => { shown.textContent = t("not_kept"); }) } },
        `${f.step ? f.step + " · " : ""}${f.name}`);
      return el("li", {}, open, shown);
    }))) : null,
    section(t("eight_d"), el("div", { class: "pager", id: "eight-d" },
      [["zh_CN", "pdf", "中文 PDF"], ["en", "pdf", "English PDF"], ["zh_CN", "xlsx", "中文 XLSX"], ["en", "xlsx", "English XLSX"]].map(([lang, format, label]) =>
        el("button", { type: "button", data: { lang, format }, on: { click: () =>
          fetchFile(`complaints/${encodeURIComponent(c.number)}/8d`, { format, lang }).then((b) => save(b, `8D-${c.number}-${lang}.${format}`)).catch(failed) } }, label)))),
    section(t("history"), el("ul", { id: "history" }, c.history.map((e) => el("li", {}, `${e.at} · ${e.who} · ${e.what}${e.step ? " · " + e.step : ""}`)))),
  );
  window.scrollTo(0, 0);
}

// The rectification plan as a form (step 10): the same draft as the chat's, issued by
// the same use case. Each answer is checked on the server as the chat checks it.

function isoDay(days) {
  const day = new Date(Date.now() + days * 86400000);
  return day.toISOString().slice(0, 10);
}

function personPicker(name, people, value) {
  const select = el("select", { name, data: { field: name } },
    el("option", { value: "" }, "—"),
    people.map((p) => el("option", { value: String(p.id) }, `${p.name} · ${p.role}`)));
  select.value = value ? String(value) : "";
  return select;
}

function labelled(text, input, field) {
  return el("label", { class: "field", data: { for: field || "" } }, el("span", { class: "hint" }, text), input,
    el("span", { class: "error", data: { error: field || "" } }));
}

async function planForm(number) {
  const plan = await api(`complaints/${encodeURIComponent(number)}/plan`);
  const main = clear();
  const L = plan.labels;
  const items = el("div", { id: "items" });
  const itemRow = (item, n) => el("fieldset", { class: "item", data: { n: String(n) } },
    el("legend", {}, t("item").replace("%(n)d", n)),
    labelled(L.action, el("input", { name: "action", value: item.action || "" }), `items.${n}.action`),
    labelled(L.requirement, el("input", { name: "requirement", value: item.requirement || "" }), `items.${n}.requirement`),
    labelled(L.owner_id, personPicker("owner_id", plan.people, item.owner_id), `items.${n}.owner_id`),
    labelled(L.due, el("input", { type: "date", name: "due", min: isoDay(1), value: item.due || isoDay(7) }), `items.${n}.due`),
    labelled(L.acceptor_id, personPicker("acceptor_id", plan.people, item.acceptor_id), `items.${n}.acceptor_id`));
  const rows = plan.items.length ? plan.items : [{}];
  rows.forEach((item, i) => items.append(itemRow(item, i + 1)));
  const departments = el("div", { class: "departments", data: { field: "departments" } }, plan.department_choices.map((d) =>
    el("label", {}, Object.assign(el("input", { type: "checkbox", name: "departments", value: d.key }), { checked: plan.departments.includes(d.key) }), d.label)));
  const message = el("p", { id: "plan-message", class: "hint" });
  const form = el("form", { id: "plan-form", class: "plan" },
    labelled(L.problem, el("textarea", { name: "problem", rows: "3" }, plan.problem || ""), "problem"),
    labelled(L.causes, el("textarea", { name: "causes", rows: "3" }, plan.causes || ""), "causes"),
    labelled(L.owner_id, personPicker("owner_id", plan.people, plan.owner_id), "owner_id"),
    labelled(L.deadline, el("input", { type: "date", name: "deadline", min: isoDay(1), value: plan.deadline || isoDay(30) }), "deadline"),
    labelled(L.departments, departments, "departments"),
    items,
    el("span", { class: "error", data: { error: "items" } }),
    el("div", { class: "pager" },
      el("button", { type: "button", id: "add-item", on: { click: () => items.append(itemRow({}, items.children.length + 1)) } }, t("add_item")),
      el("button", { type: "button", id: "remove-item", on: { click: () => { if (items.children.length > 1) items.lastChild.remove(); } } }, t("remove_item"))),
    el("div", { class: "pager" },
      el("button", { type: "button", id: "keep-plan", on: { click: () => send(false) } }, t("save_draft")),
      el("button", { type: "submit", class: "primary", id: "issue-plan" }, t("issue_plan"))),
    message);
  form.addEventListener("submit", (e) => { e.preventDefault(); send(true); });

  function read() {
    const top = (name) => form.querySelector(`:scope > label [name=${name}]`);
    const number_ = (select) => (select.value ? Number(select.value) : null);
    return {
      problem: top("problem").value,
      causes: top("causes").value,
      owner_id: number_(top("owner_id")),
      deadline: top("deadline").value,
      departments: [...form.querySelectorAll("input[name=departments]:checked")].map((b) => b.value),
      items: [...items.children].map((row) => ({
        action: row.querySelector("[name=action]").value,
        requirement: row.querySelector("[name=requirement]").value,
        owner_id: number_(row.querySelector("[name=owner_id]")),
        due: row.querySelector("[name=due]").value,
        acceptor_id: number_(row.querySelector("[name=acceptor_id]")),
      })),
    };
  }

  async function send(issue) {
    for (const shown of form.querySelectorAll("[data-error]")) shown.textContent = "";
    const { status, answer } = await post(`complaints/${encodeURIComponent(number)}/plan`, { form: read(), issue });
    if (status === 422) {
      for (const [field, reason] of Object.entries(answer.errors)) {
        const shown = form.querySelector(`[data-error="${CSS.escape(field)}"]`);
        if (shown) shown.textContent = reason;
      }
      message.textContent = t("fix_fields");
    } else if (status === 200 && answer.result === "issued") {
      message.textContent = t("plan_issued");
      await complaint(number);
      document.getElementById("main").prepend(el("p", { class: "hint", id: "plan-message" }, t("plan_issued")));
    } else if (status === 200) {
      message.textContent = t("draft_kept");
    } else {
      message.textContent = answer.error || String(status);
    }
  }

  main.append(
    el("button", { type: "button", id: "back", on: { click: () => complaint(number).catch(failed) } }, t("back")),
    section(`${t("plan")} · ${number}`, form));
}

// The frame ---------------------------------------------------------------------------

function show(view) {
  state.view = view;
  for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("active", button.dataset.view === view);
  const run = { overview, pareto: () => pareto(""), list: () => list(state.page) }[view];
  return run().catch(failed);
}

async function start() {
  if (tg) { tg.ready(); tg.expand(); }
  let me;
  try {
    me = await api("me");
  } catch (error) {
    if (error.status === 401) return signedOut();
    const status = document.getElementById("status");
    status.textContent = error.reason === "not_registered"
      ? "您不在 Kesu 的人员名单上。 You are not on Kesu's people list."
      : String(error.message);
    status.id = "error";
    return;
  }
  state.lang = me.language;
  state.texts = me.texts;
  state.sees_all = me.sees_all;
  document.documentElement.lang = me.language === "en" ? "en" : "zh-CN";
  document.getElementById("title").textContent = t("title");
  document.getElementById("who").textContent = me.name;
  document.getElementById("tab-overview").textContent = t("overview");
  document.getElementById("tab-pareto").textContent = t("pareto");
  document.getElementById("tab-list").textContent = t("list");
  // The other language, named in itself: "English" in Chinese, "中文" in English.
  document.getElementById("language").textContent = me.language === "en" ? "中文" : "English";
  for (const id of ["tab-overview", "tab-pareto"]) document.getElementById(id).hidden = !me.sees_all;
  const opened = tg && tg.initDataUnsafe && tg.initDataUnsafe.start_param;
  if (opened && /^KS-\d{4}-\d{4,}$/.test(opened)) return complaint(opened).catch(failed);
  return show(me.sees_all ? "overview" : "list");
}

document.getElementById("tabs").addEventListener("click", (e) => {
  if (e.target.dataset && e.target.dataset.view) show(e.target.dataset.view);
});
document.getElementById("language").addEventListener("click", () => {
  state.lang = state.lang === "en" ? "zh_CN" : "en";
  api("me").then((me) => { state.texts = me.texts; return start(); }).catch(failed);
});
window.addEventListener("resize", () => state.charts.forEach((drawn) => drawn.resize()));
start();
