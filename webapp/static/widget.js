/*
 * Seller assistant chat widget: one <script> tag, configured by window.SellerAssistantConfig.
 * It loads its stylesheet and the socket.io client from the host it came from, talks to
 * Rasa's socket.io channel, and keeps the session, the transcript and unsent messages in
 * localStorage so a page reload or a lost connection loses nothing the seller wrote.
 * Seller and bot text is always inserted as text (textContent), never as HTML.
 * Answers get 👍/👎 buttons (有帮助/没帮助, posted to the web app's /api/feedback). While a
 * person holds the conversation (from staff's claim of the handoff ticket until they resolve
 * it) replies come from staff, marked 客服, and no bot reply is waited for.
 */
(function () {
  "use strict";
  if (window.__sellerAssistantLoaded) return;
  window.__sellerAssistantLoaded = true;

  var script = document.currentScript;
  var assetBase = script ? new URL(script.src, location.href).origin : location.origin;
  var config = Object.assign(
    {
      server: location.protocol + "//" + location.hostname + ":5005",
      title: "亚马逊合作模式助手",
      storageKey: "seller-assistant",
      replyTimeoutMs: 20000
    },
    window.SellerAssistantConfig || {}
  );
  var MAX_STORED_MESSAGES = 200;
  var STORE = config.storageKey;

  var state = loadState();
  var socket = null;
  var sessionConfirmed = false;
  var typingTimer = null;
  var ui = {};

  function loadState() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORE) || "{}");
      return {
        sessionId: saved.sessionId || null,
        messages: Array.isArray(saved.messages) ? saved.messages : [],
        outbox: Array.isArray(saved.outbox) ? saved.outbox : [],
        open: !!saved.open,
        withStaff: !!saved.withStaff
      };
    } catch (e) {
      return { sessionId: null, messages: [], outbox: [], open: false, withStaff: false };
    }
  }

  function saveState() {
    state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
    try {
      localStorage.setItem(STORE, JSON.stringify(state));
    } catch (e) { /* storage full or blocked: the conversation still works */ }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function loadAsset(tag, url, onload, onerror) {
    var node = document.createElement(tag);
    if (tag === "link") { node.rel = "stylesheet"; node.href = url; }
    else { node.src = url; node.async = true; }
    node.onload = onload || null;
    node.onerror = onerror || null;
    document.head.appendChild(node);
  }

  // ---- layout ----
  function build() {
    ui.root = el("div", "sa-root");
    ui.launcher = el("button", "sa-launcher", "咨询助手");
    ui.launcher.type = "button";
    ui.launcher.setAttribute("aria-label", "打开" + config.title);
    ui.panel = el("div", "sa-panel");
    ui.panel.setAttribute("role", "dialog");
    ui.panel.setAttribute("aria-label", config.title);

    var header = el("div", "sa-header");
    header.appendChild(el("span", "sa-title", config.title));
    ui.status = el("span", "sa-status", "连接中…");
    header.appendChild(ui.status);
    var close = el("button", "sa-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "收起");
    header.appendChild(close);

    ui.banner = el("div", "sa-banner");
    ui.banner.setAttribute("role", "alert");
    ui.banner.hidden = true;
    ui.log = el("div", "sa-log");
    ui.log.setAttribute("aria-live", "polite");
    ui.typing = el("div", "sa-typing");
    ui.typing.setAttribute("aria-label", "助手正在输入");
    ui.typing.appendChild(el("span"));
    ui.typing.appendChild(el("span"));
    ui.typing.appendChild(el("span"));
    ui.typing.hidden = true;

    ui.form = el("form", "sa-form");
    ui.input = el("textarea", "sa-input");
    ui.input.rows = 1;
    ui.input.maxLength = 2000;
    ui.input.placeholder = "用自己的话提问，比如：代运营怎么收费？";
    ui.input.setAttribute("aria-label", "输入问题");
    ui.send = el("button", "sa-send", "发送");
    ui.send.type = "submit";
    ui.form.appendChild(ui.input);
    ui.form.appendChild(ui.send);

    ui.panel.appendChild(header);
    ui.panel.appendChild(ui.banner);
    ui.panel.appendChild(ui.log);
    ui.panel.appendChild(ui.typing);
    ui.panel.appendChild(ui.form);
    ui.root.appendChild(ui.panel);
    ui.root.appendChild(ui.launcher);
    document.body.appendChild(ui.root);

    ui.launcher.addEventListener("click", function () { setOpen(true); });
    close.addEventListener("click", function () { setOpen(false); });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value.trim();
      if (!text) return;
      ui.input.value = "";
      sendToBot(text, text);
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        ui.form.requestSubmit ? ui.form.requestSubmit() : ui.send.click();
      }
    });

    state.messages.forEach(function (message) { render(message); });
    setOpen(state.open);
  }

  function setOpen(open) {
    state.open = open;
    ui.root.classList.toggle("sa-open", open);
    saveState();
    if (open) {
      ui.input.focus();
      scrollToEnd();
      if (!state.messages.length && !state.outbox.length) sendToBot("/greet", null);
    }
  }

  function scrollToEnd() { ui.log.scrollTop = ui.log.scrollHeight; }

  // ---- rendering ----
  function render(message) {
    var row = el("div", "sa-row sa-" + message.from);
    var bubble = el("div", "sa-bubble");
    row.appendChild(bubble);
    if (message.from === "user") {
      bubble.textContent = message.text;
      if (message.pending) row.classList.add("sa-pending");
    } else {
      renderBot(bubble, message);
    }
    ui.log.appendChild(row);
    scrollToEnd();
    return row;
  }

  function paragraphs(container, text) {
    String(text || "").split(/\n{2,}/).forEach(function (part) {
      if (part.trim()) container.appendChild(el("p", "sa-text", part));
    });
  }

  function withoutSourcesLine(text) {
    // the sources are drawn from the payload; drop the plain-text copy at the end
    return String(text || "").replace(/\n*来源：[^\n]*$/, "");
  }

  function renderBot(bubble, message) {
    var custom = message.custom || {};
    if (message.staff) {
      bubble.parentNode.classList.add("sa-from-staff");
      bubble.appendChild(el("div", "sa-staff-label", "客服"));
    }
    if (custom.type === "answer") {
      paragraphs(bubble, withoutSourcesLine(message.text));
      renderSources(bubble, custom.sources, custom.document);
      renderFeedback(bubble, message);
    } else if (custom.type === "comparison" && Array.isArray(custom.rows)) {
      renderComparison(bubble, custom);
    } else if (custom.type === "recommendation") {
      renderRecommendation(bubble, custom);
    } else {
      paragraphs(bubble, message.text);
    }
    if (Array.isArray(message.buttons) && message.buttons.length) {
      var buttons = el("div", "sa-buttons");
      message.buttons.forEach(function (button) {
        var b = el("button", "sa-button", button.title);
        b.type = "button";
        b.addEventListener("click", function () { sendToBot(button.payload, button.title); });
        buttons.appendChild(b);
      });
      bubble.appendChild(buttons);
    }
  }

  function renderSources(bubble, sources, documentInfo) {
    if (!Array.isArray(sources) || !sources.length) return;
    var box = el("div", "sa-sources");
    box.appendChild(el("div", "sa-sources-title", "来源"));
    var list = el("ul");
    sources.forEach(function (source) { list.appendChild(el("li", null, source)); });
    box.appendChild(list);
    if (documentInfo && documentInfo.section) {
      box.appendChild(el("div", "sa-doc", "章节：" + documentInfo.section));
    }
    bubble.appendChild(box);
  }

  // ---- feedback (👍/👎) on answers ----
  function renderFeedback(bubble, message) {
    var box = el("div", "sa-feedback");
    if (message.feedback) {
      box.appendChild(el("span", "sa-feedback-thanks", "谢谢反馈"));
      bubble.appendChild(box);
      return;
    }
    box.appendChild(el("span", "sa-feedback-ask", "这个回答有帮助吗？"));
    var choices = [["up", "有帮助"], ["down", "没帮助"]];
    var buttons = choices.map(function (choice) {
      var b = el("button", "sa-feedback-button sa-feedback-" + choice[0]);
      b.type = "button";
      b.appendChild(thumb(choice[0] === "down"));
      b.appendChild(document.createTextNode(choice[1]));
      b.addEventListener("click", function () { sendFeedback(box, buttons, message, choice[0]); });
      box.appendChild(b);
      return b;
    });
    bubble.appendChild(box);
  }

  // a thumb drawn as SVG: emoji need a font many systems lack
  function thumb(down) {
    var ns = "http://www.w3.org/2000/svg";
    var icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("class", "sa-thumb");
    icon.setAttribute("aria-hidden", "true");
    var shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", "M2 10h4v11H2z M8 10l4-7c1.5 0 2.5 1.2 2.2 2.7L13.5 9h6c1.4 0 " +
      "2.4 1.3 2.1 2.6L20 19c-.2 1.2-1.2 2-2.4 2H8z");
    if (down) shape.setAttribute("transform", "rotate(180 12 12)");
    icon.appendChild(shape);
    return icon;
  }

  function sendFeedback(box, buttons, message, value) {
    buttons.forEach(function (b) { b.disabled = true; });
    var custom = message.custom || {};
    var body = { session_id: state.sessionId, answer_id: custom.id || null,
      question: message.question || null, value: value };
    fetch(assetBase + "/api/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      message.feedback = value;
      saveState();
      while (box.firstChild) box.removeChild(box.firstChild);
      box.appendChild(el("span", "sa-feedback-thanks", "谢谢反馈"));
    }).catch(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      var note = box.querySelector(".sa-feedback-error") || box.appendChild(el("span", "sa-feedback-error"));
      note.textContent = "反馈没有发出，请稍后再试";
    });
  }

  function renderComparison(bubble, custom) {
    bubble.classList.add("sa-wide");
    bubble.appendChild(el("p", "sa-text", (custom.mode_names || []).join(" vs ") + " 对比"));
    var table = el("table", "sa-table");
    var head = el("tr");
    head.appendChild(el("th", null, ""));
    (custom.mode_names || []).forEach(function (name) { head.appendChild(el("th", null, name)); });
    table.appendChild(head);
    custom.rows.forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", null, row.label));
      (custom.modes || []).forEach(function (mode) {
        tr.appendChild(el("td", null, (row.cells || {})[mode] || "—"));
      });
      table.appendChild(tr);
    });
    var scroller = el("div", "sa-table-wrap");
    scroller.appendChild(table);
    bubble.appendChild(scroller);
    renderSources(bubble, custom.sources);
  }

  function renderRecommendation(bubble, custom) {
    var card = el("div", "sa-card");
    card.appendChild(el("div", "sa-card-label", "推荐模式"));
    card.appendChild(el("div", "sa-card-mode", custom.mode_name));
    var reasons = custom.reasons || [];
    if (reasons.length) {
      card.appendChild(el("div", "sa-card-heading", "理由"));
      var list = el("ol", "sa-reasons");
      reasons.forEach(function (reason) {
        var item = el("li", null, reason.text);
        item.appendChild(el("span", "sa-source", "来源：" + reason.source));
        list.appendChild(item);
      });
      card.appendChild(list);
    }
    var runnerUp = custom.runner_up || {};
    if (runnerUp.mode && custom.scores) {
      var why = (runnerUp.why_not || []).join("；");
      card.appendChild(el("div", "sa-card-note",
        "次选：" + (runnerUp.mode_name || runnerUp.mode) +
        "（" + custom.scores[runnerUp.mode] + "分，推荐模式" + custom.scores[custom.mode] + "分）" +
        (why ? "——" + why : "")));
    }
    if (custom.warning) card.appendChild(el("div", "sa-card-warning", "注意：" + custom.warning));
    if (Array.isArray(custom.still_open) && custom.still_open.length) {
      card.appendChild(el("div", "sa-card-note",
        "还可能改变推荐的：" + custom.still_open.join("、") + "。告诉我，我会重新推荐。"));
    }
    bubble.appendChild(card);
  }

  // ---- typing indicator and connection status ----
  function showTyping() {
    ui.typing.hidden = false;
    scrollToEnd();
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      ui.typing.hidden = true;
      showBanner("助手暂时没有回应，请稍后再试，或点“转人工”。");
    }, config.replyTimeoutMs);
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    ui.typing.hidden = true;
  }

  function showBanner(text) {
    ui.banner.textContent = text;
    ui.banner.hidden = false;
  }

  function setOnline(online) {
    ui.root.classList.toggle("sa-offline", !online);
    ui.status.textContent = online ? "在线" : "离线";
    if (online) ui.banner.hidden = true;
    else showBanner("暂时连不上助手服务器，正在重试。您发的消息会在连上后自动送出。");
  }

  // ---- talking to Rasa ----
  function sendToBot(payload, shownText) {
    var item = { id: Date.now() + "-" + Math.random().toString(16).slice(2), payload: payload };
    if (shownText !== null) {
      var message = { from: "user", text: shownText, pending: true, id: item.id };
      state.messages.push(message);
      render(message);
    }
    state.outbox.push(item);
    saveState();
    flushOutbox();
  }

  function flushOutbox() {
    if (!socket || !socket.connected || !sessionConfirmed) return;
    while (state.outbox.length) {
      var item = state.outbox.shift();
      socket.emit("user_uttered", { message: item.payload, session_id: state.sessionId });
      markSent(item.id);
      if (!state.withStaff) showTyping();  // staff answer when they can; the bot stays quiet
    }
    saveState();
  }

  function markSent(id) {
    state.messages.forEach(function (message) {
      if (message.id === id) delete message.pending;
    });
    var rows = ui.log.querySelectorAll(".sa-pending");
    for (var i = 0; i < rows.length; i++) rows[i].classList.remove("sa-pending");
  }

  function onBotMessage(data) {
    if (!data || typeof data !== "object") return;
    hideTyping();
    var message = {
      from: "bot",
      text: typeof data.text === "string" ? data.text : "",
      buttons: Array.isArray(data.buttons) ? data.buttons : [],
      custom: data.custom && typeof data.custom === "object" ? data.custom : null
    };
    if (!message.text && !message.custom && !message.buttons.length) return;
    if (data.staff === true) message.staff = true;
    var type = (message.custom || {}).type;
    if (type === "answer") message.question = lastSellerText();
    if (type === "handoff_resolved") state.withStaff = false;
    else if (message.staff) state.withStaff = true;  // a staff reply, or the claim's notice
    state.messages.push(message);
    saveState();
    render(message);
  }

  function lastSellerText() {
    for (var i = state.messages.length - 1; i >= 0; i--) {
      if (state.messages[i].from === "user") return state.messages[i].text;
    }
    return null;
  }

  function connect() {
    socket = window.io(config.server, {
      transports: ["websocket", "polling"],
      reconnectionDelayMax: 5000
    });
    socket.on("connect", function () {
      sessionConfirmed = false;
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      state.sessionId = typeof sessionId === "string" ? sessionId : (sessionId || {}).session_id;
      sessionConfirmed = true;
      saveState();
      setOnline(true);
      flushOutbox();
    });
    socket.on("bot_uttered", onBotMessage);
    socket.on("error", function (data) {
      hideTyping();
      showBanner("消息没有发出：" + ((data && data.error) || "格式不对"));
    });
    socket.on("connect_error", function () { setOnline(false); });
    socket.on("disconnect", function () { sessionConfirmed = false; setOnline(false); });
  }

  function start() {
    build();
    loadAsset("script", assetBase + "/vendor/socket.io.min.js", connect, function () {
      setOnline(false);
      showBanner("助手组件没有加载成功，请刷新页面再试。");
    });
  }

  loadAsset("link", assetBase + "/widget.css");
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
