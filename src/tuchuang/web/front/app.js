// tuchuang's web front: a client of the documented /api dialect. No third-party code.
// Every piece of user data goes into the page as text (textContent), never as markup.
// The token lives in localStorage and travels in request bodies and an Authorization header,
// never in a cookie: a page of another site cannot make the browser send it.
"use strict";

const TEXT = {
  en: {
    login: "Log in", register: "Register", logout: "Log out", user: "User name", nick: "Nickname",
    password: "Password", password2: "Password again", noAccount: "No account yet?", haveAccount: "Have an account?",
    myFiles: "My files", upload: "Upload files", drop: "Drop files here, or paste them", name: "Name", size: "Size",
    when: "Uploaded", downloads: "Downloads", actions: "Actions", download: "Download", remove: "Delete",
    removeSelected: "Delete selected", confirmRemove: (n) => `Delete ${n} file(s)? This cannot be undone.`,
    empty: "No files yet: upload some.", page: (p, n) => `Page ${p} of ${n}`, prev: "Previous", next: "Next",
    sort: "Sort", byName: "Upload order", pvAsc: "Downloads, fewest first", pvDesc: "Downloads, most first",
    expired: "Your session has ended: please log in again.", loginFailed: "Wrong user name or password, or too many attempts.",
    regOk: "Registered: you can log in now.", regTaken: "That user name or nickname is taken.",
    regFailed: "Registration failed: check the fields (or try again later).", mismatch: "The passwords differ.",
    hashing: "Checking", uploading: "Uploading", instant: "Stored at once (the server had it)", done: "Done",
    failed: "Failed", cancel: "Cancel", cancelled: "Cancelled", have: "You already have this file",
    transfers: "Transfers", total: "All", clear: "Clear finished", grid: "Grid", list: "List",
    share: "Share", unshare: "Stop sharing", shared: "Shared", square: "Share square", ranking: "Ranking",
    owner: "Shared by", save: "Save to my files", saved: "Saved to your files.", alreadyHave: "You already have it.",
    rank: "#", nothingShared: "Nothing is shared yet.", nav: "Sections",
    pictures: "Picture links", link: "Picture link", noLinks: "No picture links yet: make one from a picture in My files.",
    views: "Views", open: "Open", copy: "Copy", copied: "Copied.", format: "Format", select: "Select", language: "中文", network: "The server cannot be reached.",
  },
  zh: {
    login: "登录", register: "注册", logout: "退出", user: "用户名", nick: "昵称", password: "密码", password2: "确认密码",
    noAccount: "还没有账号？", haveAccount: "已有账号？", myFiles: "我的文件", upload: "上传文件", drop: "把文件拖到这里，或粘贴",
    name: "文件名", size: "大小", when: "上传时间", downloads: "下载量", actions: "操作", download: "下载", remove: "删除",
    removeSelected: "删除所选", confirmRemove: (n) => `删除 ${n} 个文件？删除后无法恢复。`, empty: "还没有文件，上传一些吧。",
    page: (p, n) => `第 ${p} / ${n} 页`, prev: "上一页", next: "下一页", sort: "排序", byName: "上传顺序",
    pvAsc: "下载量升序", pvDesc: "下载量降序", expired: "登录已过期，请重新登录。", loginFailed: "用户名或密码错误，或尝试次数过多。",
    regOk: "注册成功，请登录。", regTaken: "用户名或昵称已被使用。", regFailed: "注册失败：请检查填写的内容（或稍后再试）。",
    mismatch: "两次输入的密码不一致。", hashing: "校验中", uploading: "上传中", instant: "秒传成功", done: "完成",
    failed: "失败", cancel: "取消", cancelled: "已取消", have: "你已经有这个文件了", transfers: "传输", total: "全部", clear: "清除已完成", grid: "网格", list: "列表",
    share: "分享", unshare: "取消分享", shared: "已分享", square: "共享广场", ranking: "下载榜", owner: "分享者",
    save: "转存到我的文件", saved: "已转存到你的文件。", alreadyHave: "你已经有这个文件了。", rank: "名次",
    nothingShared: "还没有人分享文件。", nav: "栏目",
    pictures: "图片外链", link: "生成外链", noLinks: "还没有图片外链：在“我的文件”里为图片生成。", views: "浏览量",
    open: "打开", copy: "复制", copied: "已复制。", format: "格式",
    select: "选择", language: "English", network: "无法连接服务器。",
  },
};
const PAGE = 20;
const browserLang = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
const state = {
  lang: localStorage.getItem("lang") || browserLang,
  user: localStorage.getItem("user") || "",
  token: localStorage.getItem("token") || "",
  page: 0,
  order: "normal",
  total: 0,
  layout: localStorage.getItem("layout") || "list",
};
const PREVIEWED = /\.(jpe?g|png|gif|webp|bmp)$/i;
const t = (key, ...args) => {
  const value = TEXT[state.lang][key];
  return typeof value === "function" ? value(...args) : value;
};
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "on") for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key in node && key !== "list") node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);  // strings become text nodes
  return node;
}

// Bidirectional controls (the right-to-left override that makes "gnp.exe" read "exe.png") are
// shown as a visible mark instead of acting on the text around them.
const shown = (name) => String(name).replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "\ufffd");

function say(text) { $("message").textContent = text || ""; }

async function md5hex(text) {  // the protocol's password form: md5 of the password, never the password
  return hashFile(new Blob([new TextEncoder().encode(text)]), () => {}).promise;
}

async function api(path, body) {
  let response;
  try {
    response = await fetch(`/api/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    say(t("network"));
    throw error;
  }
  return response.json();
}

function authed(extra = {}) { return { user: state.user, token: state.token, ...extra }; }

function expired() {
  localStorage.removeItem("token");
  state.token = "";
  go("login", t("expired"));
}

// -- accounts --------------------------------------------------------------------------------

function loginView(notice) {
  const user = el("input", { id: "login-user", autocomplete: "username", required: true, maxLength: 32 });
  const pwd = el("input", { id: "login-pwd", type: "password", autocomplete: "current-password", required: true });
  const form = el("form", { className: "card", on: { submit: async (event) => {
    event.preventDefault();
    const reply = await api("login", { user: user.value, pwd: await md5hex(pwd.value) });
    if (reply.code !== 0) return say(t("loginFailed"));
    state.user = user.value;
    state.token = reply.token;
    localStorage.setItem("user", state.user);
    localStorage.setItem("token", state.token);
    go("files");
  } } },
    el("h1", {}, t("login")),
    el("label", { htmlFor: "login-user" }, t("user")), user,
    el("label", { htmlFor: "login-pwd" }, t("password")), pwd,
    el("div", { className: "actions" },
      el("button", { type: "submit", className: "primary" }, t("login")),
      el("span", { className: "muted" }, t("noAccount")),
      el("button", { type: "button", className: "link", on: { click: () => go("register") } }, t("register"))));
  show(form, notice);
  user.focus();
}

function registerView() {
  const fields = {};
  const field = (id, label, props) => {
    fields[id] = el("input", { id: `reg-${id}`, required: true, ...props });
    return [el("label", { htmlFor: `reg-${id}` }, label), fields[id]];
  };
  const form = el("form", { className: "card", on: { submit: async (event) => {
    event.preventDefault();
    if (fields.pwd.value !== fields.pwd2.value) return say(t("mismatch"));
    const reply = await api("reg", {
      userName: fields.user.value, nickName: fields.nick.value, firstPwd: await md5hex(fields.pwd.value),
    });
    if (reply.code === 0) return go("login", t("regOk"));
    say(reply.code === 2 ? t("regTaken") : t("regFailed"));
  } } },
    el("h1", {}, t("register")),
    ...field("user", t("user"), { autocomplete: "username", maxLength: 32 }),
    ...field("nick", t("nick"), { maxLength: 32 }),
    ...field("pwd", t("password"), { type: "password", autocomplete: "new-password" }),
    ...field("pwd2", t("password2"), { type: "password", autocomplete: "new-password" }),
    el("div", { className: "actions" },
      el("button", { type: "submit", className: "primary" }, t("register")),
      el("span", { className: "muted" }, t("haveAccount")),
      el("button", { type: "button", className: "link", on: { click: () => go("login") } }, t("login"))));
  show(form);
  fields.user.focus();
}

async function logout() {
  if (state.token) await api("logout", authed()).catch(() => {});
  localStorage.removeItem("token");
  state.token = "";
  go("login");
}

// -- my files ----------------------------------------------------------------------------------

function size(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

async function filesView() {
  const count = await api("myfiles?cmd=count", authed());
  if (count.code !== 0) return expired();
  state.total = count.total;
  const pages = Math.max(1, Math.ceil(state.total / PAGE));
  state.page = Math.min(state.page, pages - 1);
  const list = await api(`myfiles?cmd=${state.order}`, authed({ start: state.page * PAGE, count: PAGE }));
  if (list.code !== 0) return expired();
  const selected = new Set();
  const removeButton = el("button", { type: "button", className: "danger", disabled: true, on: { click: () => remove([...selected]) } }, t("removeSelected"));
  const rows = (list.files || []).map((file) => {
    const box = el("input", { type: "checkbox", ariaLabel: `${t("select")} ${shown(file.file_name)}`, on: { change: () => {
      box.checked ? selected.add(file) : selected.delete(file);
      removeButton.disabled = selected.size === 0;
    } } });
    const href = `${new URL(file.url).pathname}?name=${encodeName(file.file_name)}`;
    return el("tr", {},
      el("td", {}, box),
      el("td", { className: "name" }, shown(file.file_name)),
      el("td", { className: "num" }, size(file.size)),
      el("td", { className: "when" }, file.create_time),
      el("td", { className: "num pv" }, String(file.pv)),
      el("td", { className: "num acts" },
        el("a", { href, download: file.file_name }, t("download")), " ",
        shareButton(file), " ", linkButton(file),
        el("button", { type: "button", className: "link danger", ariaLabel: `${t("remove")} ${shown(file.file_name)}`,
          on: { click: () => remove([file]) } }, t("remove"))));
  });
  const sort = el("select", { id: "sort", on: { change: () => { state.order = sort.value; state.page = 0; filesView(); } } },
    ...[["normal", t("byName")], ["pvasc", t("pvAsc")], ["pvdesc", t("pvDesc")]].map(([value, label]) =>
      el("option", { value, selected: value === state.order }, label)));
  const picker = el("input", { type: "file", multiple: true, id: "picker", hidden: true,
    on: { change: () => { enqueue([...picker.files]); picker.value = ""; } } });
  const cards = (list.files || []).map((file) => card(file, selected, removeButton));
  const layout = el("button", { type: "button", id: "layout", ariaPressed: String(state.layout === "grid"), on: { click: () => {
    state.layout = state.layout === "grid" ? "list" : "grid";
    localStorage.setItem("layout", state.layout);
    filesView();
  } } }, state.layout === "grid" ? t("list") : t("grid"));
  const table = !rows.length
    ? el("p", { className: "empty" }, t("empty"))
    : state.layout === "grid"
    ? el("ul", { className: "grid" }, ...cards)
    : el("table", {},
      el("thead", {}, el("tr", {},
        el("th", {}, ""), el("th", {}, t("name")), el("th", { className: "num" }, t("size")),
        el("th", { className: "when" }, t("when")), el("th", { className: "num pv" }, t("downloads")),
        el("th", { className: "num" }, t("actions")))),
      el("tbody", {}, ...rows));
  const pager = el("nav", { className: "pager", ariaLabel: "pages" },
    el("button", { type: "button", disabled: state.page === 0, on: { click: () => { state.page--; filesView(); } } }, t("prev")),
    el("span", {}, t("page", state.page + 1, pages)),
    el("button", { type: "button", disabled: state.page >= pages - 1, on: { click: () => { state.page++; filesView(); } } }, t("next")));
  show(el("section", {},
    el("h1", {}, t("myFiles")),
    el("div", { className: "tools" },
      el("button", { type: "button", className: "primary", on: { click: () => picker.click() } }, t("upload")), picker,
      el("span", { className: "grow" }),
      el("label", { htmlFor: "sort" }, t("sort")), sort, layout, removeButton),
    el("div", { className: "drop", id: "drop" }, t("drop")),
    table, pager));
}

function linkButton(file) {
  if (!PREVIEWED.test(file.file_name)) return null;
  return el("button", { type: "button", className: "link", ariaLabel: `${t("link")} ${shown(file.file_name)}`, on: { click: async () => {
    const reply = await api("sharepic?cmd=share", authed({ md5: file.md5, filename: file.file_name }));
    if (reply.code === 4) return expired();
    go("pictures");
  } } }, t("link"));
}

function shareButton(file) {
  const sharing = file.share_status === 1;
  return el("button", { type: "button", className: "link", ariaLabel: `${sharing ? t("unshare") : t("share")} ${shown(file.file_name)}`,
    on: { click: async () => {
      const reply = sharing
        ? await api("dealsharefile?cmd=cancel", authed({ md5: file.md5, filename: file.file_name }))
        : await api("dealfile?cmd=share", authed({ md5: file.md5, filename: file.file_name }));
      if (reply.code === 4) return expired();
      filesView();
    } } }, sharing ? t("unshare") : t("share"));
}

function card(file, selected, removeButton) {
  const path = new URL(file.url).pathname;
  const badge = () => el("span", { className: "badge" }, (file.file_name.match(/\.([^.]{1,6})$/) || ["", "?"])[1]);
  let preview = badge();
  if (PREVIEWED.test(file.file_name)) {
    preview = el("img", { src: `/api/thumb${path}`, alt: "", loading: "lazy", decoding: "async" });
    preview.addEventListener("error", () => preview.replaceWith(badge()));
  }
  const box = el("input", { type: "checkbox", ariaLabel: `${t("select")} ${shown(file.file_name)}`, on: { change: () => {
    box.checked ? selected.add(file) : selected.delete(file);
    removeButton.disabled = selected.size === 0;
  } } });
  return el("li", { className: "tile" },
    el("div", { className: "thumb" }, preview),
    el("div", { className: "tile-name" }, box, " ", shown(file.file_name)),
    el("div", { className: "muted" }, size(file.size)),
    el("div", { className: "tile-acts" },
      el("a", { href: `${path}?name=${encodeName(file.file_name)}`, download: file.file_name }, t("download")),
      shareButton(file),
      el("button", { type: "button", className: "link danger", ariaLabel: `${t("remove")} ${shown(file.file_name)}`,
        on: { click: () => remove([file]) } }, t("remove"))));
}

function encodeName(name) {  // RFC 5987 characters only, which nginx takes as they are
  return encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

async function remove(files) {
  if (!files.length || !confirm(t("confirmRemove", files.length))) return;
  for (const file of files) {
    const reply = await api("dealfile?cmd=del", authed({ md5: file.md5, filename: file.file_name }));
    if (reply.code === 4) return expired();
  }
  filesView();
}

// -- the share square and the ranking ---------------------------------------------------------

async function squareView() {
  const count = await api("sharefiles?cmd=count", {});
  const pages = Math.max(1, Math.ceil((count.total || 0) / PAGE));
  state.squarePage = Math.min(state.squarePage || 0, pages - 1);
  const list = await api("sharefiles?cmd=normal", { start: state.squarePage * PAGE, count: PAGE });
  const rows = (list.files || []).map((file) => el("tr", {},
    el("td", { className: "name" }, shown(file.file_name)),
    el("td", { className: "who-col" }, shown(file.user)),
    el("td", { className: "num" }, size(file.size)),
    el("td", { className: "num pv" }, String(file.pv)),
    el("td", { className: "num acts" },
      el("a", { href: `${new URL(file.url).pathname}?name=${encodeName(file.file_name)}`, download: file.file_name,
        on: { click: () => api("dealsharefile?cmd=pv", authed({ md5: file.md5, filename: file.file_name })) } }, t("download")), " ",
      el("button", { type: "button", className: "link", ariaLabel: `${t("save")} ${shown(file.file_name)}`, on: { click: async () => {
        const reply = await api("dealsharefile?cmd=save", authed({ md5: file.md5, filename: file.file_name }));
        say(reply.code === 0 ? t("saved") : reply.code === 5 ? t("alreadyHave") : t("failed"));
      } } }, t("save")))));
  const pager = el("nav", { className: "pager", ariaLabel: "pages" },
    el("button", { type: "button", disabled: state.squarePage === 0, on: { click: () => { state.squarePage--; squareView(); } } }, t("prev")),
    el("span", {}, t("page", state.squarePage + 1, pages)),
    el("button", { type: "button", disabled: state.squarePage >= pages - 1, on: { click: () => { state.squarePage++; squareView(); } } }, t("next")));
  show(el("section", {}, el("h1", {}, t("square")),
    rows.length
      ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("name")), el("th", { className: "who-col" }, t("owner")),
        el("th", { className: "num" }, t("size")), el("th", { className: "num pv" }, t("downloads")), el("th", { className: "num" }, t("actions")))),
        el("tbody", {}, ...rows))
      : el("p", { className: "empty" }, t("nothingShared")),
    pager));
}

async function rankingView() {
  const list = await api("sharefiles?cmd=pvdesc", { start: 0, count: 50 });
  const rows = (list.files || []).map((item, i) => el("tr", {},
    el("td", { className: "num" }, String(i + 1)), el("td", { className: "name" }, shown(item.filename)),
    el("td", { className: "num" }, String(item.pv))));
  show(el("section", {}, el("h1", {}, t("ranking")),
    rows.length
      ? el("table", {}, el("thead", {}, el("tr", {}, el("th", { className: "num" }, t("rank")), el("th", {}, t("name")),
        el("th", { className: "num" }, t("downloads")))), el("tbody", {}, ...rows))
      : el("p", { className: "empty" }, t("nothingShared"))));
}

// -- picture links ---------------------------------------------------------------------------

function linkFormats(url, name) {
  const alt = name.replace(/[\[\]"<>&]/g, "_");  // the snippet's own syntax never comes from a name
  return {
    URL: url,
    Markdown: `![${alt}](${url})`,
    HTML: `<img src="${url}" alt="${alt}">`,
    BBCode: `[img]${url}[/img]`,
  };
}

async function picturesView() {
  const list = await api("sharepic?cmd=normal", authed({ start: 0, count: 100 }));
  if (list.code !== 0) return expired();
  const format = el("select", { id: "format", on: { change: () => { state.format = format.value; picturesView(); } } },
    ...["URL", "Markdown", "HTML", "BBCode"].map((name) => el("option", { value: name, selected: name === state.format }, name)));
  const rows = (list.files || []).map((item) => {
    const url = `${location.origin}/share?urlmd5=${item.urlmd5}`;
    const snippet = linkFormats(url, item.file_name)[state.format || "URL"];
    const field = el("input", { value: snippet, readOnly: true, ariaLabel: `${t("link")} ${shown(item.file_name)}` });
    return el("tr", {},
      el("td", { className: "name" }, shown(item.file_name)),
      el("td", {}, field),
      el("td", { className: "num pv" }, String(item.pv)),
      el("td", { className: "num acts" },
        el("button", { type: "button", className: "link", ariaLabel: `${t("copy")} ${shown(item.file_name)}`, on: { click: async () => {
          field.select();
          try { await navigator.clipboard.writeText(field.value); } catch { document.execCommand("copy"); }
          say(t("copied"));
        } } }, t("copy")), " ",
        el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, t("open")), " ",
        el("button", { type: "button", className: "link danger", ariaLabel: `${t("unshare")} ${shown(item.file_name)}`, on: { click: async () => {
          const reply = await api("sharepic?cmd=cancel", authed({ urlmd5: item.urlmd5 }));
          if (reply.code === 4) return expired();
          picturesView();
        } } }, t("unshare"))));
  });
  show(el("section", {}, el("h1", {}, t("pictures")),
    el("div", { className: "tools" }, el("label", { htmlFor: "format" }, t("format")), format),
    rows.length
      ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, t("name")), el("th", {}, t("link")),
        el("th", { className: "num pv" }, t("views")), el("th", { className: "num" }, t("actions")))), el("tbody", {}, ...rows))
      : el("p", { className: "empty" }, t("noLinks"))));
}

// -- uploads -----------------------------------------------------------------------------------

const worker = new Worker("/static/md5.js");
const hashing = new Map();
let nextJob = 0;
worker.onmessage = (event) => hashing.get(event.data.id)?.(event.data);

function hashFile(file, progress) {
  const id = nextJob++;
  let cancel;
  const promise = new Promise((resolve, reject) => {
    cancel = () => { hashing.delete(id); reject(new Error("cancelled")); };
    hashing.set(id, (message) => {
      if (message.done !== undefined) return progress(message.done);
      hashing.delete(id);
      message.error ? reject(new Error(message.error)) : resolve(message.md5);
    });
  });
  worker.postMessage({ id, file });
  return { promise, cancel };
}

const transfers = [];

function enqueue(files) {
  for (const file of files) transfers.push(startTransfer(file));
  drawTransfers();
}

function startTransfer(file) {
  const item = { file, phase: "hashing", done: 0, started: performance.now(), cancel: null, note: "" };
  item.bar = el("progress", { max: file.size || 1, value: 0 });
  item.label = el("span", { className: "muted" }, t("hashing"));
  item.button = el("button", { type: "button", className: "link", on: { click: () => item.cancel && item.cancel() } }, t("cancel"));
  item.node = el("div", { className: "transfer" },
    el("div", { className: "line" }, el("span", {}, shown(file.name)), item.button), item.bar, item.label);
  run(item).catch((error) => finish(item, error.message === "cancelled" ? t("cancelled") : t("failed")));
  return item;
}

async function run(item) {
  const { file } = item;
  const job = hashFile(file, (done) => { item.bar.value = done; drawTotal(); });
  item.cancel = job.cancel;
  const md5 = await job.promise;
  const reply = await api("md5", authed({ md5, filename: file.name }));
  if (reply.code === 4) return expired();
  if (reply.code === 0) return finish(item, t("instant"), true);
  if (reply.code === 5) return finish(item, t("have"));
  item.phase = "uploading";
  item.bar.value = 0;
  item.started = performance.now();
  await new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("user", state.user);
    form.append("token", state.token);
    form.append("md5", md5);
    form.append("size", String(file.size));
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    item.cancel = () => { xhr.abort(); reject(new Error("cancelled")); };
    xhr.open("POST", "/api/upload");
    xhr.setRequestHeader("Authorization", `Bearer ${state.token}`);
    xhr.upload.onprogress = (event) => {
      item.bar.value = event.loaded;
      const seconds = (performance.now() - item.started) / 1000;
      item.label.textContent = `${t("uploading")} ${size(event.loaded / Math.max(seconds, 0.001))}/s`;
      drawTotal();
    };
    xhr.onload = () => {
      try {
        JSON.parse(xhr.responseText).code === 0 ? resolve() : reject(new Error("refused"));
      } catch (error) { reject(error); }
    };
    xhr.onerror = () => reject(new Error("network"));
    xhr.send(form);
  });
  finish(item, t("done"), true);
}

function finish(item, note, changed = false) {
  item.phase = "finished";
  item.bar.value = item.bar.max;
  item.label.textContent = note;
  item.button.hidden = true;
  drawTotal();
  if (changed && location.hash === "#/files") filesView();
}

function drawTransfers() {
  const box = $("transfers");
  box.hidden = transfers.length === 0;
  const close = el("button", { type: "button", className: "link", id: "close-transfers", on: { click: () => {
    for (let i = transfers.length - 1; i >= 0; i--) if (transfers[i].phase === "finished") transfers.splice(i, 1);
    drawTransfers();
  } } }, t("clear"));
  box.replaceChildren(el("div", { className: "line" }, el("strong", {}, t("transfers")), close),
    el("div", { id: "total" }), ...transfers.map((i) => i.node));
  drawTotal();
}

function drawTotal() {
  const all = transfers.reduce((sum, i) => sum + (i.file.size || 1), 0);
  const done = transfers.reduce((sum, i) => sum + (i.phase === "finished" ? i.bar.max : i.bar.value), 0);
  const total = $("total");
  if (total) total.replaceChildren(el("span", { className: "muted" }, `${t("total")}: ${Math.floor((100 * done) / Math.max(all, 1))}%`),
    el("progress", { id: "total-bar", max: all || 1, value: done }));
}

function watchDrops() {
  const over = (on) => $("drop")?.classList.toggle("over", on);
  document.addEventListener("dragover", (event) => { event.preventDefault(); over(true); });
  document.addEventListener("dragleave", () => over(false));
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    over(false);
    if (state.token && event.dataTransfer?.files.length) enqueue([...event.dataTransfer.files]);
  });
  document.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (state.token && files.length) enqueue(files);
  });
}

// -- frame -----------------------------------------------------------------------------------

function show(node, notice) {
  $("view").replaceChildren(node);
  say(notice);
}

function frame() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  $("lang").textContent = t("language");
  $("logout").textContent = t("logout");
  $("logout").hidden = !state.token;
  $("who").textContent = state.token ? shown(state.user) : "";
  const nav = $("sections");
  nav.hidden = !state.token;
  nav.replaceChildren(...[["files", t("myFiles")], ["square", t("square")], ["ranking", t("ranking")], ["pictures", t("pictures")]].map(([view, label]) =>
    el("a", { href: `#/${view}`, ariaCurrent: location.hash === `#/${view}` ? "page" : "false" }, label)));
  nav.setAttribute("aria-label", t("nav"));
}

function go(view, notice) {
  const target = `#/${view}`;
  if (location.hash !== target) history.pushState(null, "", target);
  route(notice);
}

function route(notice) {
  frame();
  const view = location.hash.replace(/^#\//, "") || (state.token ? "files" : "login");
  if (view === "register") return registerView();
  if (view === "files" && state.token) return filesView();
  if (view === "square" && state.token) return squareView();
  if (view === "ranking" && state.token) return rankingView();
  if (view === "pictures" && state.token) return picturesView();
  return loginView(notice);
}

$("lang").addEventListener("click", () => {
  state.lang = state.lang === "zh" ? "en" : "zh";
  localStorage.setItem("lang", state.lang);
  route();
});
$("logout").addEventListener("click", logout);
window.addEventListener("hashchange", () => route());
// Another tab logged in, out, or in as someone else: follow it, so no tab goes on with a dead session.
window.addEventListener("storage", (event) => {
  if (event.key !== null && event.key !== "token") return;  // a login writes the user first, then the token
  state.user = localStorage.getItem("user") || "";
  state.token = localStorage.getItem("token") || "";
  if (!state.token) return go("login");
  const view = location.hash.replace(/^#\//, "");
  if (!view || view === "login" || view === "register") return go("files");
  route();
});
watchDrops();
route();
