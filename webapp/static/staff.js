/*
 * Staff console: the ticket queue with filters, a ticket's transcript and profile, claim /
 * reply / resolve, the review page (questions that fell back or got 👎 → Rasa NLU YAML) and
 * a dashboard drawn as inline SVG. Talks only to this origin's /api with the staff token
 * (kept in sessionStorage, so it goes when the tab closes). Every text that comes from the
 * server, seller text above all, is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var POLL_MS = 3000;
  var TOKEN_KEY = "staff-token";
  var NAME_KEY = "staff-name";
  var SVG_NS = "http://www.w3.org/2000/svg";

  var STATUS = { open: "待认领", claimed: "处理中", resolved: "已解决" };
  var URGENCY = { urgent: "紧急", high: "较急", normal: "普通" };
  var CHANNEL = { socketio: "网页助手", slack: "Slack", wechat: "微信公众号", rest: "REST 接口" };
  var TRIGGER = {
    asked_for_person: "卖家要求转人工",
    repeated_fallback: "连续两次未能理解",
    urgent_topic: "紧急问题"
  };
  var AUTHOR = { seller: "卖家", bot: "助手", staff: "客服" };
  var PALETTE = ["#2f6fb3", "#ff9900", "#2e9d63", "#c2410c", "#7c3aed", "#0891b2",
    "#be185d", "#65a30d", "#92400e", "#475569", "#db2777", "#0d9488", "#a16207", "#4f46e5", "#dc2626"];

  var state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    name: sessionStorage.getItem(NAME_KEY),
    tab: "queue",
    selected: null,        // id of the open ticket
    detailKey: null,       // what the detail pane shows, to redraw only on change
    categories: {},        // categories seen, for the filter
    labels: { areas: {}, urgencies: {}, triggers: {}, modes: {}, fields: {}, values: {} },
    intents: null,
    timer: null
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function show(node, visible) { node.hidden = !visible; }

  function say(node, text) {
    node.textContent = text || "";
    show(node, !!text);
  }

  function when(iso) {
    if (!iso) return "—";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toLocaleString("zh-CN", { hour12: false, month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function label(map, key) { return (map && map[key]) || key || "—"; }

  function categoryName(category) { return label(state.labels.areas, category); }

  // the server's names (from the data files) first, these as a fallback
  function urgencyName(urgency) { return (state.labels.urgencies || {})[urgency] || label(URGENCY, urgency); }

  function triggerName(trigger) { return (state.labels.triggers || {})[trigger] || label(TRIGGER, trigger); }

  // ---- talking to the API ----
  function ApiError(status, message) { this.status = status; this.message = message; }

  function api(method, path, body) {
    var options = { method: method, headers: { Authorization: "Bearer " + state.token } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var read = type.indexOf("application/json") >= 0 ? response.json() : response.text();
      return read.then(function (data) {
        if (response.ok) return data;
        var message = (data && data.error) || ("请求失败（HTTP " + response.status + "）");
        if (response.status === 401) logout(message);
        throw new ApiError(response.status, message);
      });
    }, function () {
      throw new ApiError(0, "连不上服务器，请检查网络。");
    });
  }

  function reportError(node) {
    return function (error) {
      if (error && error.status === 401) return;
      say(node, (error && error.message) || String(error));
    };
  }

  // ---- login ----
  function showLogin(message) {
    show($("app"), false);
    show($("login"), true);
    say($("login-error"), message);
    $("login-name").value = state.name || "";
    $("login-token").value = "";
    $("login-token").focus();
  }

  function logout(message) {
    stopPolling();
    state.token = null;
    state.selected = null;
    state.detailKey = null;
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(message);
  }

  function login(event) {
    event.preventDefault();
    var token = $("login-token").value.trim();
    var name = $("login-name").value.trim();
    if (!token || !name) { say($("login-error"), "请填写口令和名字。"); return; }
    state.token = token;
    state.name = name;
    api("GET", "/api/labels").then(function (labels) {
      sessionStorage.setItem(TOKEN_KEY, token);
      sessionStorage.setItem(NAME_KEY, name);
      state.labels = labels;
      enter();
    }, function (error) {
      if (error.status !== 401) showLogin(error.message);
    });
  }

  function enter() {
    show($("login"), false);
    show($("app"), true);
    $("who").textContent = "客服：" + state.name;
    selectTab(state.tab);
  }

  // ---- tabs and polling ----
  function selectTab(tab) {
    state.tab = tab;
    var buttons = document.querySelectorAll(".tab");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-selected", String(buttons[i].dataset.tab === tab));
    }
    ["queue", "review", "stats"].forEach(function (name) { show($("tab-" + name), name === tab); });
    stopPolling();
    if (tab === "queue") startPolling();
    else if (tab === "review") loadReview();
    else loadStats();
  }

  function startPolling() {
    refreshQueue();
    state.timer = setInterval(refreshQueue, POLL_MS);
  }

  function stopPolling() {
    clearInterval(state.timer);
    state.timer = null;
  }

  // ---- queue ----
  function queueQuery() {
    var params = [];
    ["status", "category", "urgency", "channel"].forEach(function (name) {
      var value = $("f-" + name).value;
      if (value) params.push(name + "=" + encodeURIComponent(value));
    });
    return params.length ? "?" + params.join("&") : "";
  }

  function refreshQueue() {
    api("GET", "/api/tickets" + queueQuery()).then(function (data) {
      say($("app-error"), "");
      drawQueue(data.tickets || []);
      $("queue-updated").textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN", { hour12: false });
    }, reportError($("app-error")));
    if (state.selected !== null) refreshDetail();
  }

  function rememberCategories(tickets) {
    var select = $("f-category");
    tickets.forEach(function (ticket) {
      if (!ticket.category || state.categories[ticket.category]) return;
      state.categories[ticket.category] = true;
      var option = el("option", null, categoryName(ticket.category));
      option.value = ticket.category;
      select.appendChild(option);
    });
  }

  function badge(kind, value, text) {
    return el("span", "badge " + kind + "-" + value, text);
  }

  function drawQueue(tickets) {
    rememberCategories(tickets);
    var body = $("queue").querySelector("tbody");
    clear(body);
    tickets.forEach(function (ticket) {
      var row = el("tr", "ticket urgency-" + ticket.urgency);
      row.dataset.ticketId = String(ticket.id);
      row.tabIndex = 0;
      if (ticket.id === state.selected) row.classList.add("selected");
      row.appendChild(el("td", "num", "#" + ticket.id));
      var urgency = el("td");
      urgency.appendChild(badge("urgency", ticket.urgency, urgencyName(ticket.urgency)));
      row.appendChild(urgency);
      row.appendChild(el("td", null, categoryName(ticket.category)));
      row.appendChild(el("td", null, label(CHANNEL, ticket.channel)));
      row.appendChild(el("td", "summary", ticket.summary));
      var status = el("td");
      status.appendChild(badge("status", ticket.status, label(STATUS, ticket.status)));
      row.appendChild(status);
      row.appendChild(el("td", null, ticket.claimed_by || "—"));
      row.appendChild(el("td", "time", when(ticket.created_at)));
      row.addEventListener("click", function () { openTicket(ticket.id); });
      row.addEventListener("keydown", function (event) {
        if (event.key === "Enter") openTicket(ticket.id);
      });
      body.appendChild(row);
    });
    show($("queue-empty"), !tickets.length);
  }

  // ---- one ticket ----
  function openTicket(id) {
    if (state.selected !== id) {
      state.selected = id;
      state.detailKey = null;
      $("reply-text").value = "";
      updateCount();
      say($("detail-error"), "");
    }
    var rows = $("queue").querySelectorAll("tr.ticket");
    for (var i = 0; i < rows.length; i++) {
      rows[i].classList.toggle("selected", rows[i].dataset.ticketId === String(id));
    }
    refreshDetail();
  }

  function refreshDetail() {
    var id = state.selected;
    api("GET", "/api/tickets/" + id).then(function (ticket) {
      if (state.selected === id) drawDetail(ticket);
    }, function (error) {
      if (error.status === 404) {
        state.selected = null;
        show($("detail-head"), false);
        show($("detail-body"), false);
        show($("reply-form"), false);
        show($("detail-placeholder"), true);
      }
      reportError($("detail-error"))(error);
    });
  }

  function detailKey(ticket) {
    return [ticket.id, ticket.status, ticket.claimed_by, ticket.updated_at,
      (ticket.messages || []).length].join("|");
  }

  function drawDetail(ticket) {
    var key = detailKey(ticket);
    if (key === state.detailKey) return;
    state.detailKey = key;
    // the head (what, who, actions) stays in place; profile and transcript scroll under it
    var head = $("detail-head");
    clear(head);
    var title = el("div", "detail-title");
    title.appendChild(el("h2", null, "工单 #" + ticket.id));
    title.appendChild(badge("urgency", ticket.urgency, urgencyName(ticket.urgency)));
    title.appendChild(badge("status", ticket.status, label(STATUS, ticket.status)));
    var actions = el("div", "detail-actions");
    if (ticket.status === "open") {
      actions.appendChild(button("认领", "claim", function () { act(ticket.id, "claim"); }));
    }
    if (ticket.status !== "resolved") {
      actions.appendChild(button("标记已解决并交还助手", "resolve", function () { act(ticket.id, "resolve"); }));
    }
    title.appendChild(actions);
    head.appendChild(title);
    head.appendChild(el("p", "detail-summary", ticket.summary));
    head.appendChild(facts([
      ["卖家", ticket.sender_id],
      ["渠道", label(CHANNEL, ticket.channel)],
      ["类别", categoryName(ticket.category)],
      ["触发原因", triggerName(ticket.trigger)],
      ["处理人", ticket.claimed_by || "—"],
      ["创建", when(ticket.created_at)],
      ["认领", when(ticket.claimed_at)],
      ["解决", when(ticket.resolved_at)]
    ], "meta"));

    var body = $("detail-body");
    clear(body);
    body.appendChild(el("h3", null, "卖家画像"));
    var profile = profileRows(ticket.profile || {});
    body.appendChild(profile.length ? facts(profile, "profile") : el("p", "muted", "没有填写过推荐问卷。"));

    body.appendChild(el("h3", null, "推荐结果"));
    body.appendChild(recommendation(ticket.recommendation));

    body.appendChild(el("h3", null, "对话记录"));
    var log = el("ol", "transcript");
    (ticket.messages || []).forEach(function (message) {
      var item = el("li", "msg msg-" + message.author);
      var meta = el("div", "msg-meta");
      meta.appendChild(el("span", "msg-author", label(AUTHOR, message.author)));
      meta.appendChild(el("span", "msg-time", when(message.created_at)));
      item.appendChild(meta);
      item.appendChild(el("div", "msg-text", message.text));
      log.appendChild(item);
    });
    if (!(ticket.messages || []).length) log.appendChild(el("li", "muted", "还没有消息。"));
    body.appendChild(log);

    show($("detail-placeholder"), false);
    show(head, true);
    show(body, true);
    show($("reply-form"), true);
    var closed = ticket.status === "resolved";
    $("reply-text").disabled = closed;
    $("reply-send").disabled = closed;
    $("reply-text").placeholder = closed ? "工单已解决，助手已接手对话。" : "输入回复内容，Ctrl+Enter 发送";
    body.scrollTop = body.scrollHeight;  // the latest messages, next to the reply box
  }

  function button(text, className, onClick) {
    var b = el("button", className, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function facts(rows, className) {
    var list = el("dl", "facts " + className);
    rows.forEach(function (row) {
      list.appendChild(el("dt", null, row[0]));
      list.appendChild(el("dd", null, row[1]));
    });
    return list;
  }

  function valueText(field, value) {
    var names = (state.labels.values || {})[field] || {};
    if (value === true) return "是";
    if (value === false) return "否";
    if (Array.isArray(value)) return value.map(function (v) { return valueText(field, v); }).join("、");
    if (value && typeof value === "object") return JSON.stringify(value);
    return names[value] || String(value);
  }

  function profileRows(profile) {
    return Object.keys(profile).filter(function (field) {
      return profile[field] !== null && profile[field] !== undefined && profile[field] !== "";
    }).map(function (field) {
      return [label(state.labels.fields, field), valueText(field, profile[field])];
    });
  }

  function recommendation(rec) {
    if (!rec) return el("p", "muted", "没有推荐。");
    if (typeof rec !== "object") return el("p", null, String(rec));
    var box = el("div", "rec");
    var mode = rec.mode_name || label(state.labels.modes, rec.mode);
    box.appendChild(el("div", "rec-mode", "推荐模式：" + mode));
    if (rec.scores && typeof rec.scores === "object") {
      box.appendChild(el("div", "muted", "得分：" + Object.keys(rec.scores).map(function (m) {
        return label(state.labels.modes, m) + " " + rec.scores[m];
      }).join("，")));
    }
    if (Array.isArray(rec.reasons) && rec.reasons.length) {
      var list = el("ol", "rec-reasons");
      rec.reasons.forEach(function (reason) {
        var text = typeof reason === "string" ? reason : (reason.text || JSON.stringify(reason));
        list.appendChild(el("li", null, text));
      });
      box.appendChild(list);
    }
    return box;
  }

  function act(id, action) {
    say($("detail-error"), "");
    api("POST", "/api/tickets/" + id + "/" + action, { staff: state.name }).then(function (ticket) {
      drawDetail(ticket);
      refreshQueue();
    }, reportError($("detail-error")));
  }

  function sendReply(event) {
    event.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text || state.selected === null) return;
    var id = state.selected;
    $("reply-send").disabled = true;
    say($("detail-error"), "");
    api("POST", "/api/tickets/" + id + "/reply", { staff: state.name, text: text }).then(function (ticket) {
      $("reply-text").value = "";
      updateCount();
      drawDetail(ticket);
      refreshQueue();
    }, reportError($("detail-error"))).then(function () {
      $("reply-send").disabled = $("reply-text").disabled;
    });
  }

  function updateCount() {
    $("reply-count").textContent = $("reply-text").value.length + " / 2000";
  }

  // ---- review ----
  function loadReview() {
    say($("review-error"), "");
    var intents = state.intents ? Promise.resolve(state.intents) :
      api("GET", "/api/intents").then(function (data) {
        state.intents = data.intents || [];
        return state.intents;
      });
    Promise.all([intents, api("GET", "/api/review")]).then(function (results) {
      drawReview(results[1].questions || [], results[0]);
    }, reportError($("review-error")));
  }

  function drawReview(questions, intents) {
    var body = $("review").querySelector("tbody");
    clear(body);
    $("review-all").checked = false;
    questions.forEach(function (question, index) {
      var row = el("tr");
      var pick = el("input");
      pick.type = "checkbox";
      pick.className = "review-pick";
      pick.setAttribute("aria-label", "选择第 " + (index + 1) + " 条");
      var cell = el("td");
      cell.appendChild(pick);
      row.appendChild(cell);
      row.appendChild(el("td", "review-text", question.text));
      row.appendChild(el("td", "num", question.count));
      var sources = [];
      if (question.fallbacks) sources.push("没听懂 " + question.fallbacks);
      if (question.downvotes) sources.push("没帮助 " + question.downvotes);
      var answers = (question.answer_ids || []).map(function (id) { return categoryName(id); });
      var answered = answers.length ? "（回答：" + answers.join("、") + "）" : "";
      row.appendChild(el("td", null, sources.join("，") + answered));
      row.appendChild(el("td", "time", when(question.last_seen)));
      var select = el("select", "review-intent");
      select.setAttribute("aria-label", "第 " + (index + 1) + " 条的意图");
      var none = el("option", null, "选择意图…");
      none.value = "";
      select.appendChild(none);
      intents.forEach(function (intent) {
        var option = el("option", null, intent);
        option.value = intent;
        select.appendChild(option);
      });
      select.addEventListener("change", function () { if (select.value) pick.checked = true; });
      var intentCell = el("td");
      intentCell.appendChild(select);
      row.appendChild(intentCell);
      row.dataset.text = question.text;
      body.appendChild(row);
    });
    show($("review-empty"), !questions.length);
    $("review-status").textContent = questions.length ? "共 " + questions.length + " 组" : "";
  }

  function exportReview() {
    say($("review-error"), "");
    var items = [];
    var missing = 0;
    var rows = $("review").querySelectorAll("tbody tr");
    for (var i = 0; i < rows.length; i++) {
      if (!rows[i].querySelector(".review-pick").checked) continue;
      var intent = rows[i].querySelector(".review-intent").value;
      if (!intent) { missing++; continue; }
      items.push({ text: rows[i].dataset.text, intent: intent });
    }
    if (missing) { say($("review-error"), "有 " + missing + " 条选中的问题还没选意图。"); return; }
    if (!items.length) { say($("review-error"), "请先勾选问题并选择意图。"); return; }
    api("POST", "/api/review/export", { items: items }).then(function (yamlText) {
      var preview = $("export-preview");
      preview.textContent = yamlText;
      show(preview, true);
      var link = el("a");
      link.href = URL.createObjectURL(new Blob([yamlText], { type: "text/yaml" }));
      link.download = "nlu_review.yml";
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
      $("review-status").textContent = "已导出 " + items.length + " 条";
    }, reportError($("review-error")));
  }

  // ---- dashboard ----
  function loadStats() {
    api("GET", "/api/stats?days=" + encodeURIComponent($("stats-days").value)).then(function (data) {
      drawStats(data.days || []);
    }, reportError($("app-error")));
  }

  function sum(days, pick) { return days.reduce(function (total, day) { return total + pick(day); }, 0); }

  function field(name) { return function (day) { return day[name] || 0; }; }

  function total(name) {  // a per-day {key: count} field, summed over its keys
    return function (day) {
      var counts = day[name] || {};
      return sum(Object.keys(counts), function (key) { return counts[key]; });
    };
  }

  function drawStats(days) {
    var totals = $("stats-totals");
    clear(totals);
    var messages = sum(days, field("messages"));
    var conversations = sum(days, field("conversations"));
    [
      ["对话", conversations],
      ["卖家消息", messages],
      ["回答", sum(days, total("answers"))],
      ["回退率", percent(messages ? sum(days, field("fallbacks")) / messages : 0)],
      ["转人工率", percent(conversations ? sum(days, field("handoffs")) / conversations : 0)],
      ["推荐", sum(days, total("recommendations"))]
    ].forEach(function (item) {
      var box = el("div", "total");
      box.appendChild(el("div", "total-value", item[1]));
      box.appendChild(el("div", "total-label", item[0]));
      totals.appendChild(box);
    });

    var charts = $("charts");
    clear(charts);
    var perDay = [{ key: "conversations", name: "对话数", pick: field("conversations") }];
    charts.appendChild(chartCard("每日对话数", barChart(days, perDay, false)));
    charts.appendChild(chartCard("回退率与转人工率", lineChart(days, [
      { name: "回退率", pick: field("fallback_rate") },
      { name: "转人工率", pick: field("handoff_rate") }
    ])));
    var areas = seriesOf(days, "answers", state.labels.areas);
    charts.appendChild(chartCard("各知识领域的回答数", barChart(days, areas, true)));
    var modes = seriesOf(days, "recommendations", state.labels.modes);
    charts.appendChild(chartCard("各模式的推荐次数", barChart(days, modes, true)));
  }

  function percent(rate) { return (Math.round(rate * 1000) / 10) + "%"; }

  function seriesOf(days, field, names) {
    var keys = {};
    days.forEach(function (d) { Object.keys(d[field] || {}).forEach(function (k) { keys[k] = true; }); });
    return Object.keys(keys).sort().map(function (key) {
      return { key: key, name: label(names, key), pick: function (d) { return (d[field] || {})[key] || 0; } };
    });
  }

  function chartCard(title, svgNode) {
    var card = el("figure", "chart");
    card.appendChild(el("figcaption", null, title));
    card.appendChild(svgNode.svg);
    if (svgNode.legend) card.appendChild(svgNode.legend);
    return card;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, String(attrs[name])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  var W = 560, H = 220, M = { top: 12, right: 12, bottom: 28, left: 44 };

  function frame(scale, format, title) {
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "class": "chart-svg" });
    root.appendChild(svg("title", {}, title));
    var plotH = H - M.top - M.bottom;
    var ticks = Math.round(scale.max / scale.step);
    for (var i = 0; i <= ticks; i++) {
      var value = scale.step * i;
      var y = M.top + plotH - plotH * i / ticks;
      root.appendChild(svg("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, "class": "grid" }));
      root.appendChild(svg("text", { x: M.left - 6, y: y + 4, "text-anchor": "end", "class": "axis" },
        format(value)));
    }
    return root;
  }

  function xLabels(root, days, step) {
    var every = Math.max(1, Math.ceil(days.length / 10));
    days.forEach(function (day, i) {
      if (i % every) return;
      var x = M.left + step * (i + 0.5);
      root.appendChild(svg("text", { x: x, y: H - 8, "text-anchor": "middle", "class": "axis" },
        String(day.date).slice(5)));
    });
  }

  // an axis from 0 in whole steps of 1, 2 or 5 × 10^n, about four of them
  function countScale(value) {
    value = Math.max(value, 4);  // small counts still get the axis 0–4
    var rough = value / 4;
    var magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
    var step = [1, 2, 5, 10].map(function (f) { return f * magnitude; })
      .filter(function (s) { return s >= rough; })[0];
    return { max: Math.max(step, Math.ceil(value / step) * step), step: step };
  }

  function legend(series) {
    var list = el("ul", "legend");
    series.forEach(function (s, i) {
      var item = el("li");
      var swatch = svg("svg", { width: 10, height: 10, "aria-hidden": "true" });
      swatch.appendChild(svg("rect", { width: 10, height: 10, fill: PALETTE[i % PALETTE.length] }));
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(" " + s.name));
      list.appendChild(item);
    });
    return list;
  }

  function barChart(days, series, stacked) {
    var totals = days.map(function (d) { return sum(series, function (s) { return s.pick(d); }); });
    var scale = countScale(Math.max.apply(null, [0].concat(totals)));
    var maxValue = scale.max;
    var names = series.map(function (s) { return s.name; }).join("、");
    var root = frame(scale, function (v) { return Math.round(v); }, names);
    var plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
    var step = plotW / Math.max(1, days.length);
    var barW = Math.max(2, step * 0.7);
    days.forEach(function (day, i) {
      var y = M.top + plotH;
      series.forEach(function (s, k) {
        var value = s.pick(day);
        if (!value) return;
        var h = plotH * value / maxValue;
        y -= h;
        var bar = svg("rect", { x: M.left + step * i + (step - barW) / 2, y: y, width: barW, height: h,
          fill: PALETTE[k % PALETTE.length], "class": "bar" });
        bar.appendChild(svg("title", {}, day.date + " " + s.name + "：" + value));
        root.appendChild(bar);
      });
    });
    xLabels(root, days, step);
    if (!series.length || !totals.some(Boolean)) {
      root.appendChild(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "class": "nodata" }, "暂无数据"));
    }
    return { svg: root, legend: stacked && series.length ? legend(series) : null };
  }

  function lineChart(days, series) {
    var peak = Math.max.apply(null, [0].concat(days.map(function (d) {
      return Math.max.apply(null, series.map(function (s) { return s.pick(d) || 0; }));
    })));
    var scale = peak > 0.5 ? { max: 1, step: 0.25 }
      : peak > 0.2 ? { max: 0.5, step: 0.1 } : { max: 0.2, step: 0.05 };
    var maxValue = scale.max;
    var root = frame(scale, percent, series.map(function (s) { return s.name; }).join("、"));
    var plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
    var step = plotW / Math.max(1, days.length);
    series.forEach(function (s, k) {
      var color = PALETTE[k % PALETTE.length];
      var points = days.map(function (day, i) {
        return [M.left + step * (i + 0.5), M.top + plotH - plotH * Math.min(1, (s.pick(day) || 0) / maxValue)];
      });
      root.appendChild(svg("polyline", { points: points.map(function (p) { return p.join(","); }).join(" "),
        fill: "none", stroke: color, "stroke-width": 2, "class": "line" }));
      points.forEach(function (p, i) {
        var dot = svg("circle", { cx: p[0], cy: p[1], r: 3, fill: color });
        dot.appendChild(svg("title", {}, days[i].date + " " + s.name + "：" + percent(s.pick(days[i]) || 0)));
        root.appendChild(dot);
      });
    });
    xLabels(root, days, step);
    return { svg: root, legend: legend(series) };
  }

  // ---- start ----
  function start() {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", function () { logout(""); });
    var tabs = document.querySelectorAll(".tab");
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].addEventListener("click", function (event) { selectTab(event.currentTarget.dataset.tab); });
    }
    $("filters").addEventListener("submit", function (event) { event.preventDefault(); });
    $("filters").addEventListener("change", refreshQueue);
    $("reply-form").addEventListener("submit", sendReply);
    $("reply-text").addEventListener("input", updateCount);
    $("reply-text").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) sendReply(event);
    });
    $("review-refresh").addEventListener("click", loadReview);
    $("review-export").addEventListener("click", exportReview);
    $("review-all").addEventListener("change", function () {
      var picks = document.querySelectorAll(".review-pick");
      for (var i = 0; i < picks.length; i++) picks[i].checked = $("review-all").checked;
    });
    $("stats-days").addEventListener("change", loadStats);

    if (!state.token) { showLogin(""); return; }
    api("GET", "/api/labels").then(function (labels) {
      state.labels = labels;
      enter();
    }, function (error) { if (error.status !== 401) showLogin(error.message); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
