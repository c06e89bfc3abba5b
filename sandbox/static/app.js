// mentorbot sandbox page. Vanilla JS, no build step.
//
// Shows one person's Slack: their DM with the bot, the app's Home tab, their channels and any
// open modal, all drawn from the Block Kit the bot really sent. What they do goes to the
// sandbox server (/api/...), which sends the bot what Slack would.
//
// Every piece of text is put on the page as a text node (never as HTML), so nothing the bot or
// a person wrote can inject markup.
"use strict";

(() => {
  const S = {
    user: null, // the person we are
    tab: "messages", // messages | home | <channel id>
    state: null,
    people: [],
    users: {},
    busy: 0,
    modalValues: {}, // view id -> {block_id: {action_id: value}}
    clientErrors: {}, // view id -> {block_id: message}
    drawn: {}, // what each region was last drawn from, to redraw only on change
  };
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ DOM helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function toast(message, kind) {
    const node = el("div", { class: "toast" + (kind ? " " + kind : ""), role: kind === "error" ? "alert" : "status" }, message);
    const box = $("toasts");
    box.append(node);
    while (box.children.length > 3) box.firstElementChild.remove();
    setTimeout(() => node.remove(), kind === "error" ? 8000 : 3000);
  }

  async function api(path, body) {
    const options = body === undefined
      ? { method: "GET" }
      : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const response = await fetch(path, options);
    let data = {};
    try {
      data = await response.json();
    } catch (_) {
      data = { error: `the sandbox answered HTTP ${response.status}` };
    }
    if (!response.ok) {
      const error = new Error(data.error || "That did not work. Try again in a moment.");
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // An action a person takes: send it, then redraw from the new state.
  async function act(path, body) {
    S.busy += 1;
    document.body.classList.add("busy");
    try {
      const result = await api(path, body);
      await refresh();
      return result;
    } catch (error) {
      // 409: what the person used is no longer there (answered, closed): a note, not an alarm.
      toast(error.message, error.status === 409 ? "note" : "error");
      await refresh().catch(() => {});
      return null;
    } finally {
      S.busy -= 1;
      if (!S.busy) document.body.classList.remove("busy");
    }
  }

  // ------------------------------------------------------------------ mrkdwn
  function decodeEntities(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function splitOnce(text, sep) {
    const at = text.indexOf(sep);
    return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + sep.length)];
  }

  // <...> in Slack text: links, mentions, channels, special mentions, dates.
  function angle(content) {
    const [target, label] = splitOnce(content, "|");
    if (target.startsWith("@")) {
      const id = target.slice(1);
      return el("span", { class: "mention" }, "@" + (label || S.users[id] || id));
    }
    if (target.startsWith("#")) {
      const id = target.slice(1);
      const channel = (S.state && S.state.channels || []).find((c) => c.id === id);
      return el("span", { class: "mention" }, label ? "#" + label : channel ? channel.name : "#" + id);
    }
    if (target.startsWith("!")) {
      const command = target.slice(1);
      if (command.startsWith("date^")) return document.createTextNode(slackDate(command, label));
      if (command.startsWith("subteam^")) return document.createTextNode(decodeEntities(label || command));
      return el("span", { class: "mention" }, "@" + command);
    }
    const url = decodeEntities(target);
    if (/^(https?:|mailto:)/i.test(url)) {
      return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, decodeEntities(label || target));
    }
    return document.createTextNode("<" + decodeEntities(content) + ">");
  }

  // <!date^1392734382^{date_short} at {time}|fallback>, shown in the reader's time zone.
  function slackDate(command, fallback) {
    const [, stamp, format] = command.split("^");
    const when = new Date(Number(stamp) * 1000);
    if (!format || Number.isNaN(when.getTime())) return decodeEntities(fallback || command);
    const zone = (S.state && S.state.me.tz) || "UTC";
    const fmt = (date, options, locale = "en-US") => {
      try {
        return new Intl.DateTimeFormat(locale, { timeZone: zone, ...options }).format(date);
      } catch (_) {
        return date.toISOString();
      }
    };
    const dayOf = (date) => fmt(date, { year: "numeric", month: "2-digit", day: "2-digit" }, "en-CA");
    const now = S.state ? new Date(S.state.clock.now) : new Date();
    const offset = Math.round((Date.parse(dayOf(when)) - Date.parse(dayOf(now))) / 86400000);
    const pretty = (text) => ({ "-1": "yesterday", 0: "today", 1: "tomorrow" })[offset] || text;
    const parts = {
      date_num: dayOf(when),
      date: fmt(when, { month: "long", day: "numeric", year: "numeric" }),
      date_short: fmt(when, { month: "short", day: "numeric", year: "numeric" }),
      date_long: fmt(when, { weekday: "long", month: "long", day: "numeric", year: "numeric" }),
      time: fmt(when, { hour: "numeric", minute: "2-digit" }),
      time_secs: fmt(when, { hour: "numeric", minute: "2-digit", second: "2-digit" }),
    };
    parts.date_pretty = pretty(parts.date);
    parts.date_short_pretty = pretty(parts.date_short);
    parts.date_long_pretty = pretty(parts.date_long);
    return decodeEntities(format).replace(/\{(\w+)\}/g, (whole, key) => (key in parts ? parts[key] : whole));
  }

  const INLINE = new RegExp(
    [
      "`([^`\\n]+)`", // 1 code
      "<([^<>\\n]+)>", // 2 link / mention
      "(^|[^\\w*])\\*(?=\\S)([^*\\n]*?\\S)\\*(?![\\w*])", // 3,4 bold
      "(^|[^\\w_])_(?=\\S)([^_\\n]*?\\S)_(?![\\w_])", // 5,6 italics
      "(^|[^\\w~])~(?=\\S)([^~\\n]*?\\S)~(?![\\w~])", // 7,8 strike
    ].join("|"),
    "g",
  );

  function inline(text) {
    const frag = document.createDocumentFragment();
    const pattern = new RegExp(INLINE.source, "g"); // own state: inline() recurses
    let last = 0;
    let m;
    while ((m = pattern.exec(text)) !== null) {
      let start = m.index;
      let node;
      if (m[1] !== undefined) node = el("code", {}, decodeEntities(m[1]));
      else if (m[2] !== undefined) node = angle(m[2]);
      else {
        const [lead, inner, tag] = m[3] !== undefined ? [m[3], m[4], "strong"] : m[5] !== undefined ? [m[5], m[6], "em"] : [m[7], m[8], "s"];
        start += lead.length;
        node = el(tag, {}, inline(inner));
      }
      if (start > last) frag.append(decodeEntities(text.slice(last, start)));
      frag.append(node);
      last = pattern.lastIndex;
    }
    if (last < text.length) frag.append(decodeEntities(text.slice(last)));
    return frag;
  }

  function mrkdwn(text) {
    const frag = document.createDocumentFragment();
    String(text || "").split("```").forEach((part, i) => {
      if (i % 2 === 1) {
        frag.append(el("pre", { class: "code" }, decodeEntities(part.replace(/^\n/, ""))));
        return;
      }
      let quote = null;
      part.split("\n").forEach((line, n) => {
        const quoted = /^(?:&gt;|>) ?(.*)$/.exec(line);
        if (quoted) {
          if (!quote) {
            quote = el("blockquote");
            frag.append(quote);
          } else quote.append(el("br"));
          quote.append(inline(quoted[1]));
          return;
        }
        if (n > 0 && !quote) frag.append(el("br"));
        quote = null;
        frag.append(inline(line));
      });
    });
    return frag;
  }

  // Slack decodes &amp; &lt; &gt; in plain_text too (apps must escape those three everywhere).
  function plain(obj) {
    if (obj === null || obj === undefined) return "";
    if (typeof obj === "string") return decodeEntities(obj);
    return decodeEntities(String(obj.text || ""));
  }

  function textObj(obj) {
    if (!obj) return document.createTextNode("");
    if (obj.type === "mrkdwn") return mrkdwn(obj.text);
    return document.createTextNode(plain(obj));
  }

  // Any text an unknown block or element carries, so nothing is silently dropped.
  const TEXT_KEYS = new Set(["text", "alt_text", "title", "description", "fallback"]);
  function textsIn(value, out = []) {
    if (Array.isArray(value)) value.forEach((v) => textsIn(v, out));
    else if (value && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (typeof v === "string") {
          if (TEXT_KEYS.has(key)) out.push(v);
        } else textsIn(v, out);
      }
    }
    return out;
  }

  function unknown(kind, what, obj) {
    const texts = textsIn(obj);
    return el("div", { class: "bk-unknown", "data-unknown": kind },
      `[${kind} ${what}]`, texts.length ? " " + texts.join(" · ") : "",
      el("details", {}, el("summary", {}, "raw"), el("pre", {}, JSON.stringify(obj, null, 2))));
  }

  // ------------------------------------------------------------------ rich text (what people type)
  function richElements(elements) {
    const frag = document.createDocumentFragment();
    for (const item of elements || []) {
      let node;
      if (item.type === "text") {
        node = document.createTextNode(item.text || "");
        const style = item.style || {};
        if (style.code) node = el("code", {}, node);
        if (style.strike) node = el("s", {}, node);
        if (style.italic) node = el("em", {}, node);
        if (style.bold) node = el("strong", {}, node);
      } else if (item.type === "link") {
        node = /^(https?:|mailto:)/i.test(item.url || "")
          ? el("a", { href: item.url, target: "_blank", rel: "noopener noreferrer" }, item.text || item.url)
          : document.createTextNode(item.text || item.url || "");
      } else if (item.type === "user") node = el("span", { class: "mention" }, "@" + (S.users[item.user_id] || item.user_id));
      else if (item.type === "channel") node = el("span", { class: "mention" }, "#" + item.channel_id);
      else if (item.type === "emoji") node = document.createTextNode(`:${item.name}:`);
      else if (item.type === "broadcast") node = el("span", { class: "mention" }, "@" + item.range);
      else node = unknown(item.type, "text", item);
      frag.append(node);
    }
    return frag;
  }

  function richText(block) {
    const wrap = el("div", { class: "msg-text rich" });
    for (const part of block.elements || []) {
      if (part.type === "rich_text_section") wrap.append(el("div", { style: "white-space: pre-wrap" }, richElements(part.elements)));
      else if (part.type === "rich_text_preformatted") wrap.append(el("pre", { class: "code" }, richElements(part.elements)));
      else if (part.type === "rich_text_quote") wrap.append(el("blockquote", {}, richElements(part.elements)));
      else if (part.type === "rich_text_list") {
        const list = el(part.style === "ordered" ? "ol" : "ul");
        for (const item of part.elements || []) list.append(el("li", {}, richElements(item.elements)));
        wrap.append(list);
      } else wrap.append(unknown(part.type, "part", part));
    }
    return wrap;
  }

  // ------------------------------------------------------------------ Block Kit
  function flatOptions(element) {
    if (element.option_groups) return element.option_groups.flatMap((g) => g.options || []);
    return element.options || [];
  }

  function optionGroups(element) {
    if (element.option_groups) return element.option_groups.map((g) => ({ label: plain(g.label), options: g.options || [] }));
    return [{ label: "", options: element.options || [] }];
  }

  function initialValue(element) {
    switch (element.type) {
      case "static_select":
      case "radio_buttons":
        return element.initial_option ? element.initial_option.value : null;
      case "multi_static_select":
      case "checkboxes":
        return (element.initial_options || []).map((o) => o.value);
      case "users_select":
        return element.initial_user || null;
      case "multi_users_select":
        return element.initial_users || [];
      case "conversations_select":
        return element.initial_conversation || null;
      case "channels_select":
        return element.initial_channel || null;
      case "datepicker":
        return element.initial_date || null;
      case "timepicker":
        return element.initial_time || null;
      default:
        return element.initial_value !== undefined ? element.initial_value : null;
    }
  }

  // Entered values live in the page while a modal is open and are sent on Submit, like Slack.
  function keepsValue(block, ctx) {
    return ctx.source.kind === "view" && block.type === "input" && !block.dispatch_action;
  }

  function current(element, block, ctx) {
    if (ctx.source.kind === "view") {
      const kept = ((S.modalValues[ctx.source.id] || {})[block.block_id] || {})[element.action_id];
      if (kept !== undefined) return kept;
    }
    return initialValue(element);
  }

  function commit(element, block, ctx, value) {
    if (ctx.source.kind === "view") {
      const view = (S.modalValues[ctx.source.id] = S.modalValues[ctx.source.id] || {});
      (view[block.block_id] = view[block.block_id] || {})[element.action_id] = value;
      if (S.clientErrors[ctx.source.id]) delete S.clientErrors[ctx.source.id][block.block_id];
    }
    if (keepsValue(block, ctx)) return;
    act("/api/select", { user: S.user, source: ctx.source, action_id: element.action_id, block_id: block.block_id, values: value });
  }

  function click(element, block, ctx) {
    if (element.url) window.open(element.url, "_blank", "noopener,noreferrer");
    if (element.confirm) {
      const c = element.confirm;
      if (!window.confirm(`${plain(c.title)}\n\n${plain(c.text)}`)) return;
    }
    act("/api/click", { user: S.user, source: ctx.source, action_id: element.action_id, block_id: block.block_id, value: element.value });
  }

  function choices(element, block, ctx, multi) {
    const chosen = new Set([].concat(current(element, block, ctx) || []));
    const name = `${ctx.source.id || ctx.source.ts}-${block.block_id}-${element.action_id}`;
    const box = el("fieldset", { class: "bk-choices", role: multi ? "group" : "radiogroup", "data-action-id": element.action_id });
    for (const option of element.options || []) {
      const input = el("input", { type: multi ? "checkbox" : "radio", name, value: option.value });
      input.checked = chosen.has(option.value);
      input.addEventListener("change", () => {
        if (multi) {
          if (input.checked) chosen.add(option.value);
          else chosen.delete(option.value);
          commit(element, block, ctx, [...chosen]);
        } else commit(element, block, ctx, option.value);
      });
      box.append(el("label", {}, input, " ", textObj(option.text),
        option.description ? el("span", { class: "bk-choice-desc" }, textObj(option.description)) : null));
    }
    return box;
  }

  function staticSelect(element, block, ctx, options) {
    const value = current(element, block, ctx);
    const placeholder = plain(element.placeholder) || "Choose an option";
    // In an input block the block's <label> names it; elsewhere the placeholder does.
    const select = el("select", { class: "bk-select", "aria-label": block.type === "input" ? null : placeholder, "data-action-id": element.action_id });
    const none = el("option", { value: "", disabled: true }, placeholder);
    select.append(none);
    for (const group of options) {
      const parent = group.label ? el("optgroup", { label: group.label }) : select;
      for (const option of group.options) parent.append(el("option", { value: option.value }, plain(option.text)));
      if (parent !== select) select.append(parent);
    }
    select.value = value === null || value === undefined ? "" : value;
    select.addEventListener("change", () => commit(element, block, ctx, select.value));
    return select;
  }

  function multiSelect(element, block, ctx) {
    const labels = new Map(flatOptions(element).map((o) => [o.value, plain(o.text)]));
    const start = [].concat(current(element, block, ctx) || []);
    const chosen = new Set(start);
    const placeholder = plain(element.placeholder) || "Choose options";
    const max = element.max_selected_items || 0;
    const summary = () => (chosen.size ? [...chosen].map((v) => labels.get(v) || v).join(", ") : placeholder);
    const toggle = el("button", { type: "button", class: "bk-select-toggle", "aria-haspopup": "true", "aria-expanded": "false" }, summary());
    const panel = el("div", { class: "bk-multi-panel", hidden: true, role: "group", "aria-label": placeholder });
    const boxes = [];
    const limit = () => boxes.forEach((b) => { b.disabled = max > 0 && !b.checked && chosen.size >= max; });
    for (const group of optionGroups(element)) {
      const set = el("fieldset", {}, group.label ? el("legend", {}, group.label) : null);
      for (const option of group.options) {
        const box = el("input", { type: "checkbox", value: option.value });
        box.checked = chosen.has(option.value);
        box.addEventListener("change", () => {
          if (box.checked) chosen.add(option.value);
          else chosen.delete(option.value);
          limit();
          toggle.textContent = summary();
        });
        boxes.push(box);
        set.append(el("label", {}, box, " ", plain(option.text)));
      }
      panel.append(set);
    }
    limit();
    const done = el("button", { type: "button", class: "bk-button bk-multi-done" }, "Done");
    panel.append(done);
    toggle.addEventListener("click", () => {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", String(!panel.hidden));
    });
    done.addEventListener("click", () => {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      const now = [...chosen];
      const changed = now.length !== start.length || now.some((v) => !start.includes(v));
      if (changed || keepsValue(block, ctx)) commit(element, block, ctx, now);
    });
    return el("div", { class: "bk-multi", "data-action-id": element.action_id }, toggle, panel);
  }

  function textInput(element, block, ctx) {
    const value = current(element, block, ctx);
    const kinds = { email_text_input: "email", url_text_input: "url", number_input: "number" };
    const attrs = {
      class: element.multiline ? "bk-textarea" : "bk-input",
      maxlength: element.max_length,
      minlength: element.min_length,
      placeholder: plain(element.placeholder) || null,
      "data-action-id": element.action_id,
      "aria-label": block.type === "input" ? null : plain(element.placeholder) || element.action_id,
    };
    const input = element.multiline ? el("textarea", attrs) : el("input", { ...attrs, type: kinds[element.type] || "text" });
    input.value = value === null || value === undefined ? "" : value;
    if (keepsValue(block, ctx)) input.addEventListener("input", () => commit(element, block, ctx, input.value));
    else {
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          commit(element, block, ctx, input.value);
        }
      });
    }
    return input;
  }

  function pickerOf(type, element, block, ctx) {
    const value = current(element, block, ctx);
    const input = el("input", { type, class: "bk-input", "data-action-id": element.action_id, "aria-label": block.type === "input" ? null : plain(element.placeholder) || element.action_id });
    if (value) input.value = value;
    input.addEventListener("change", () => commit(element, block, ctx, input.value));
    return input;
  }

  function idSelect(element, block, ctx) {
    const users = Object.entries(S.users).map(([value, name]) => ({ value, text: name }));
    const channels = (S.state ? S.state.channels : []).map((c) => ({ value: c.id, text: c.name }));
    const options = element.type.includes("user") ? users : channels;
    if (element.type.startsWith("multi_")) {
      return multiSelect({ ...element, options: options.map((o) => ({ value: o.value, text: { type: "plain_text", text: o.text } })) }, block, ctx);
    }
    return staticSelect(element, block, ctx, [{ label: "", options: options.map((o) => ({ value: o.value, text: o.text })) }]);
  }

  function button(element, block, ctx) {
    const style = element.style === "primary" ? " primary" : element.style === "danger" ? " danger" : "";
    return el("button", { type: "button", class: "bk-button" + style, "data-action-id": element.action_id, onclick: () => click(element, block, ctx) }, plain(element.text));
  }

  function renderElement(element, block, ctx) {
    switch (element.type) {
      case "button":
      case "workflow_button":
        return button(element, block, ctx);
      case "static_select":
        return staticSelect(element, block, ctx, optionGroups(element));
      case "multi_static_select":
        return multiSelect(element, block, ctx);
      case "radio_buttons":
        return choices(element, block, ctx, false);
      case "checkboxes":
        return choices(element, block, ctx, true);
      case "overflow":
        return el("details", { class: "bk-overflow", "data-action-id": element.action_id },
          el("summary", { "aria-label": "More options" }, "⋯"),
          ...(element.options || []).map((o) => el("button", { type: "button", class: "bk-button", onclick: () => commit(element, block, ctx, o.value) }, plain(o.text))));
      case "plain_text_input":
      case "email_text_input":
      case "url_text_input":
      case "number_input":
        return textInput(element, block, ctx);
      case "datepicker":
        return pickerOf("date", element, block, ctx);
      case "timepicker":
        return pickerOf("time", element, block, ctx);
      case "users_select":
      case "multi_users_select":
      case "conversations_select":
      case "multi_conversations_select":
      case "channels_select":
      case "multi_channels_select":
        return idSelect(element, block, ctx);
      case "image":
        return el("span", { class: "bk-image", role: "img", "aria-label": element.alt_text || "image" }, `[image: ${element.alt_text || "no description"}]`);
      case "plain_text":
      case "mrkdwn":
        return el("span", {}, textObj(element));
      default:
        return unknown(element.type, "element", element);
    }
  }

  function renderBlock(block, ctx) {
    switch (block.type) {
      case "section": {
        const main = el("div", { class: "bk-section-main" });
        if (block.text) main.append(el("div", { class: "bk-text" }, textObj(block.text)));
        if (block.fields) main.append(el("div", { class: "bk-fields" }, block.fields.map((f) => el("div", {}, textObj(f)))));
        return el("div", { class: "bk-section", "data-block-id": block.block_id }, main,
          block.accessory ? el("div", { class: "bk-accessory" }, renderElement(block.accessory, block, ctx)) : null);
      }
      case "header":
        return el("h3", { class: "bk-header" }, plain(block.text));
      case "divider":
        return el("hr", { class: "bk-divider" });
      case "context":
        return el("div", { class: "bk-context" }, (block.elements || []).map((e) => renderElement(e, block, ctx)));
      case "actions":
        return el("div", { class: "bk-actions", "data-block-id": block.block_id }, (block.elements || []).map((e) => renderElement(e, block, ctx)));
      case "input": {
        const error = (ctx.errors || {})[block.block_id];
        const id = `input-${block.block_id}`;
        const field = renderElement(block.element || {}, block, ctx);
        if (field.id === "") field.id = id;
        return el("div", { class: "bk-input-block", "data-block-id": block.block_id },
          el("label", { class: "bk-label", for: id }, plain(block.label), block.optional ? el("span", { class: "bk-optional" }, " (optional)") : null),
          field,
          block.hint ? el("div", { class: "bk-hint" }, plain(block.hint)) : null,
          error ? el("div", { class: "bk-error", role: "alert" }, error) : null);
      }
      case "image":
        return el("div", {}, block.title ? el("div", {}, plain(block.title)) : null,
          el("span", { class: "bk-image", role: "img", "aria-label": block.alt_text || "image" }, `[image: ${block.alt_text || "no description"}]`));
      case "rich_text":
        return richText(block);
      case "markdown":
        return el("div", { class: "bk-markdown" }, block.text || "");
      default:
        return unknown(block.type, "block", block);
    }
  }

  function renderBlocks(blocks, ctx) {
    return el("div", { class: "bk-blocks" }, (blocks || []).map((b) => renderBlock(b, ctx)));
  }

  // ------------------------------------------------------------------ messages
  function timeOf(ts) {
    const when = new Date(parseFloat(ts) * 1000);
    const zone = S.state && S.state.me.tz;
    try {
      return new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: zone || "UTC" }).format(when);
    } catch (_) {
      return when.toISOString();
    }
  }

  function fileUrl(file, download) {
    return `/api/file?user=${encodeURIComponent(S.user)}&id=${encodeURIComponent(file.id)}` + (download ? "&download=1" : "");
  }

  // A shared file: images shown, everything else opened as text in a new tab; all downloadable.
  function renderFile(file) {
    const image = /^image\/(png|jpeg|gif|webp)$/.test(file.mimetype || "");
    const size = file.size ? ` · ${file.size < 1024 ? file.size + " B" : Math.round(file.size / 1024) + " KB"}` : "";
    return el("div", { class: "file", "data-file-id": file.id },
      el("div", { class: "file-head" },
        el("span", { class: "file-name" }, file.title || file.name),
        el("span", { class: "file-meta" }, size),
        el("a", { href: fileUrl(file, false), target: "_blank", rel: "noopener noreferrer", class: "file-open" }, image ? "Open" : "View"),
        el("a", { href: fileUrl(file, true), download: file.name, class: "file-download" }, "Download")),
      image ? el("img", { class: "file-image", src: fileUrl(file, false), alt: file.title || file.name, loading: "lazy" }) : null);
  }

  function renderMessage(m) {
    const source = { kind: "message", channel: m.channel, ts: m.ts };
    const ctx = { source };
    let body;
    if (m.blocks && m.blocks.length) body = renderBlocks(m.blocks, ctx);
    else body = el("div", { class: "msg-text" }, mrkdwn(m.text));
    const extras = [];
    for (const a of m.attachments || []) {
      const color = /^#?[0-9a-f]{6}$/i.test(a.color || "") ? "#" + a.color.replace("#", "") : "#cccccc";
      extras.push(el("div", { class: "bk-attachment", style: `border-left-color: ${color}` },
        a.title ? el("strong", {}, a.title) : null,
        a.text ? el("div", {}, mrkdwn(a.text)) : null,
        a.blocks ? renderBlocks(a.blocks, ctx) : null,
        !a.text && !a.blocks && a.fallback ? el("div", {}, a.fallback) : null));
    }
    for (const file of m.files || []) extras.push(renderFile(file));
    const initial = (m.user_name || "?").trim().charAt(0).toUpperCase();
    return el("li", { class: "msg" + (m.from_bot ? " from-bot" : "") + (m.ephemeral ? " ephemeral" : ""), "data-ts": m.ts },
      el("div", { class: "avatar", "aria-hidden": "true" }, initial),
      el("div", { class: "msg-main" },
        el("div", { class: "msg-head" },
          el("span", { class: "msg-name" }, m.user_name),
          m.from_bot ? el("span", { class: "app-tag" }, "APP") : null,
          el("span", { class: "msg-time" }, timeOf(m.ts)),
          m.edited ? el("span", { class: "msg-edited" }, "(edited)") : null),
        m.thread_ts ? el("div", { class: "thread-note" }, "replied in a thread") : null,
        body, extras,
        m.ephemeral ? el("div", { class: "ephemeral-note" }, "Only visible to you") : null));
  }

  function renderMessages(messages, emptyNote) {
    if (!messages.length) return el("p", { class: "pane-note" }, emptyNote);
    return el("ul", { class: "messages" }, messages.map(renderMessage));
  }

  // ------------------------------------------------------------------ regions
  function drawPeople() {
    const key = JSON.stringify([S.people, S.user]);
    if (S.drawn.people === key) return;
    S.drawn.people = key;
    const list = $("people");
    list.replaceChildren(...S.people.map((p) => {
      const badges = [];
      if (p.stage) badges.push(el("span", { class: "badge stage-" + p.stage.replace(/\s+/g, "-") }, p.stage));
      if (p.coordinator) badges.push(el("span", { class: "badge coordinator" }, "coordinator"));
      if (p.paired) badges.push(el("span", { class: "badge paired" }, "paired"));
      if (p.request_pending) badges.push(el("span", { class: "badge pending" }, "request pending"));
      return el("li", {},
        el("button", {
          type: "button", class: "person", "data-user": p.id, "aria-current": p.id === S.user ? "true" : "false",
          style: `padding-left: ${16 + p.depth * 14}px`, onclick: () => pick(p.id),
        },
        p.unread ? el("span", { class: "unread", title: "new messages" }, String(p.unread)) : null,
        el("span", { class: "person-name" }, p.name),
        el("span", { class: "person-title" }, p.title),
        el("span", { class: "badges" }, badges)));
    }));
  }

  function drawClock(clock) {
    if (!clock) return;
    $("clock-now").textContent = clock.utc;
    $("clock-offset").textContent = `(${clock.offset})`;
    $("clock-local").textContent = clock.local ? `· ${clock.local}` : "";
  }

  function tabsFor(state) {
    const tabs = [{ id: "messages", label: "Messages" }, { id: "home", label: "Home" }];
    for (const c of state.channels) tabs.push({ id: c.id, label: c.name });
    return tabs;
  }

  function drawTabs() {
    const tabs = tabsFor(S.state);
    if (!tabs.some((t) => t.id === S.tab)) S.tab = "messages";
    const key = JSON.stringify([tabs, S.tab]);
    if (S.drawn.tabs === key) return;
    S.drawn.tabs = key;
    $("tabs").replaceChildren(...tabs.map((t) =>
      el("button", { type: "button", role: "tab", class: "tab", "aria-selected": t.id === S.tab ? "true" : "false", "data-tab": t.id, onclick: () => switchTab(t.id) }, t.label)));
  }

  function drawPane() {
    const state = S.state;
    let key;
    let draw;
    const composer = $("composer");
    const input = $("composer-input");
    if (S.tab === "home") {
      composer.hidden = true;
      key = JSON.stringify(["home", state.home]);
      draw = () => state.home
        ? el("div", { class: "home", "data-view-id": state.home.id }, renderBlocks(state.home.blocks, { source: { kind: "view", id: state.home.id }, errors: {} }))
        : el("p", { class: "pane-note" }, "mentorbot has not drawn a Home tab for this person yet.");
    } else if (S.tab === "messages") {
      composer.hidden = false;
      input.placeholder = "Message mentorbot, or type /mentoring help";
      key = JSON.stringify(["dm", state.dm.messages]);
      draw = () => renderMessages(state.dm.messages, "No messages with mentorbot yet.");
    } else {
      const channel = state.channels.find((c) => c.id === S.tab);
      composer.hidden = false;
      input.placeholder = `Message ${channel.name}, or type /mentoring help`;
      key = JSON.stringify(["channel", channel]);
      draw = () => renderMessages(channel.messages, `Nothing in ${channel.name} yet.`);
    }
    if (S.drawn.pane === key) return;
    const pane = $("pane");
    const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 80;
    const sameTab = S.drawn.paneTab === S.tab;
    S.drawn.pane = key;
    S.drawn.paneTab = S.tab;
    pane.setAttribute("data-tab", S.tab);
    pane.replaceChildren(draw());
    if (S.tab !== "home" && (!sameTab || atBottom)) pane.scrollTop = pane.scrollHeight;
  }

  function drawModal() {
    const root = $("modal-root");
    const stack = S.state.modals;
    const view = stack.length ? stack[stack.length - 1] : null;
    for (const id of Object.keys(S.modalValues)) {
      if (!stack.some((v) => v.id === id)) {
        delete S.modalValues[id];
        delete S.clientErrors[id];
      }
    }
    const key = view ? JSON.stringify([view.id, view.hash, view.errors, S.clientErrors[view.id] || {}]) : "";
    if (S.drawn.modal === key) return;
    S.drawn.modal = key;
    if (!view) {
      root.replaceChildren();
      return;
    }
    const errors = { ...(view.errors || {}), ...(S.clientErrors[view.id] || {}) };
    const ctx = { source: { kind: "view", id: view.id }, errors };
    const title = plain(view.title) || "mentorbot";
    const dialog = el("div", { class: "modal", role: "dialog", "aria-modal": "true", "aria-label": title, "data-view-id": view.id },
      el("div", { class: "modal-head" },
        el("h2", {}, title),
        stack.length > 1 ? el("span", { class: "modal-stack-note" }, `${stack.length} windows open`) : null,
        el("button", { type: "button", class: "modal-x", "aria-label": "Close window", onclick: () => closeModal(view) }, "×")),
      el("div", { class: "modal-body" }, renderBlocks(view.blocks, ctx)),
      el("div", { class: "modal-foot" },
        el("button", { type: "button", class: "modal-close", onclick: () => closeModal(view) }, plain(view.close) || "Cancel"),
        view.submit ? el("button", { type: "button", class: "modal-submit", onclick: () => submitModal(view) }, plain(view.submit)) : null));
    root.replaceChildren(el("div", { class: "modal-backdrop" }, dialog));
  }

  function hasValue(view, block) {
    const element = block.element || {};
    const kept = ((S.modalValues[view.id] || {})[block.block_id] || {})[element.action_id];
    const value = kept !== undefined ? kept : initialValue(element);
    if (Array.isArray(value)) return value.length > 0;
    return value !== null && value !== undefined && String(value).trim() !== "";
  }

  async function submitModal(view) {
    const missing = {};
    for (const block of view.blocks) {
      if (block.type === "input" && !block.optional && !hasValue(view, block)) missing[block.block_id] = "Please complete this required field.";
    }
    S.clientErrors[view.id] = missing;
    if (Object.keys(missing).length) {
      drawModal();
      return;
    }
    const result = await act("/api/submit", { user: S.user, view_id: view.id, values: S.modalValues[view.id] || {} });
    if (result && result.outcome === "errors") toast("Please check the highlighted fields.", "error");
  }

  function closeModal(view) {
    act("/api/close", { user: S.user, view_id: view.id });
  }

  function draw() {
    drawPeople();
    if (!S.state) return;
    drawClock(S.state.clock);
    $("empty").hidden = true;
    $("workspace").hidden = false;
    const me = S.people.find((p) => p.id === S.user) || {};
    $("me-name").textContent = S.state.me.name;
    $("me-meta").textContent = [me.title, me.department, S.state.me.tz].filter(Boolean).join(" · ");
    drawTabs();
    drawPane();
    drawModal();
  }

  // ------------------------------------------------------------------ data
  let refreshing = null;
  let again = false;
  // One refresh at a time; asked for while one runs, another follows it, so what an action
  // changed (messages, badges) is never hidden behind a poll that started before it.
  async function refresh() {
    if (refreshing) {
      again = true;
      return refreshing.then(() => (again ? refresh() : undefined));
    }
    again = false;
    refreshing = (async () => {
      try {
        if (S.user) {
          const data = await api(`/api/state?user=${encodeURIComponent(S.user)}`);
          S.state = data.state;
          S.people = data.state.people;
          S.users = data.state.users;
        } else {
          const data = await api("/api/people");
          S.people = data.people;
          drawClock(data.clock);
        }
        draw();
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  async function pick(userId) {
    if (S.user === userId) return;
    S.user = userId;
    S.state = null;
    S.tab = "messages";
    S.drawn = {};
    history.replaceState(null, "", "#" + userId);
    await refresh();
    // Opening the app in Slack tells it so (app_home_opened), on the Messages tab here.
    await act("/api/open", { user: userId, tab: "messages" });
  }

  async function switchTab(tab) {
    if (S.tab === tab) return;
    S.tab = tab;
    draw();
    if (tab === "home" || tab === "messages") await act("/api/open", { user: S.user, tab });
  }

  // ------------------------------------------------------------------ @-mentions
  // Typing @ and part of a name offers the people whose names match; picking one writes
  // "@Name" in the box, sent as Slack's <@U…> mention (as Slack's composer does).
  function mentionQuery(input) {
    const before = input.value.slice(0, input.selectionStart);
    const m = /(^|\s)@([^@\n]{0,30})$/.exec(before);
    return m ? { at: before.length - m[2].length - 1, text: m[2].toLowerCase() } : null;
  }

  function drawMentions() {
    const box = $("mentions");
    const input = $("composer-input");
    const query = mentionQuery(input);
    const matches = query
      ? Object.entries(S.users).filter(([id, name]) => {
        const lower = name.toLowerCase();
        return id !== S.user && (lower.startsWith(query.text) || lower.includes(" " + query.text));
      }).slice(0, 6)
      : [];
    if (!query || !matches.length) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    box.hidden = false;
    box.replaceChildren(...matches.map(([id, name], i) =>
      el("li", { role: "option", class: "mention-option", "data-user": id, "aria-selected": i === 0 ? "true" : "false",
        onmousedown: (event) => { event.preventDefault(); insertMention(name); } }, "@" + name)));
  }

  function insertMention(name) {
    const input = $("composer-input");
    const query = mentionQuery(input);
    if (!query) return;
    const after = input.value.slice(input.selectionStart);
    const head = input.value.slice(0, query.at) + "@" + name + " ";
    input.value = head + after;
    input.selectionStart = input.selectionEnd = head.length;
    drawMentions();
    input.focus();
  }

  // "@Maya Patel" (a known name) -> "<@U0MAYA>", longest names first.
  function withMentions(text) {
    const names = Object.entries(S.users).sort((a, b) => b[1].length - a[1].length);
    let out = text;
    for (const [id, name] of names) out = out.split("@" + name).join(`<@${id}>`);
    return out;
  }

  async function send(text) {
    const trimmed = withMentions(text.trim());
    if (!trimmed || !S.user) return false;
    const channel = S.tab !== "messages" && S.tab !== "home" ? S.tab : null;
    let result;
    if (trimmed.startsWith("/")) result = await act("/api/slash", { user: S.user, text: trimmed, channel });
    else if (channel) result = await act("/api/channel-message", { user: S.user, channel, text: trimmed });
    else result = await act("/api/dm", { user: S.user, text: trimmed });
    return result !== null;
  }

  // ------------------------------------------------------------------ wiring
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("composer-input");
    const text = input.value;
    input.value = "";
    if (!(await send(text))) input.value = text;
    input.focus();
  });
  $("composer-input").addEventListener("input", drawMentions);
  $("composer-input").addEventListener("blur", () => setTimeout(drawMentions, 100));
  $("composer-input").addEventListener("keydown", (event) => {
    const box = $("mentions");
    if (!box.hidden && (event.key === "Enter" || event.key === "Tab")) {
      event.preventDefault();
      const chosen = box.querySelector('[aria-selected="true"]') || box.firstElementChild;
      if (chosen) insertMention(chosen.textContent.slice(1));
      return;
    }
    if (!box.hidden && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      const options = [...box.children];
      const at = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
      const next = (at + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      options.forEach((o, i) => o.setAttribute("aria-selected", i === next ? "true" : "false"));
      return;
    }
    if (event.key === "Escape") {
      box.hidden = true;
      return;
    }
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  for (const buttonNode of document.querySelectorAll(".clock-controls button")) {
    buttonNode.addEventListener("click", async () => {
      const result = await act("/api/clock", { step: buttonNode.dataset.step, user: S.user });
      if (result) {
        drawClock(S.state ? S.state.clock : result.clock);
        const label = buttonNode.textContent.replace("+", "").trim();
        toast(`${buttonNode.dataset.step === "monday" ? "Moved to" : "Moved forward"} ${label}. Sandbox time: ${result.clock.utc}`);
      }
    });
  }
  $("reset").addEventListener("click", async () => {
    if (!window.confirm("Reset the sandbox? Everything anyone did here is deleted and the demo organisation starts again.")) return;
    S.modalValues = {};
    S.clientErrors = {};
    S.drawn = {};
    const result = await act("/api/reset", {});
    if (result) toast("The sandbox starts afresh.");
  });

  setInterval(() => {
    if (!S.busy && document.visibilityState === "visible") refresh().catch(() => {});
  }, 1500);

  const fromHash = decodeURIComponent(location.hash.replace(/^#/, ""));
  refresh().then(() => {
    if (fromHash && S.people.some((p) => p.id === fromHash)) pick(fromHash);
  }).catch((error) => toast(error.message, "error"));

  // For tests and the curious: the renderer, callable from the console.
  window.mentorbotSandbox = { mrkdwn, renderBlocks };
})();
