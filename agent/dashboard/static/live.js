// Live calls: server-sent events from /dashboard/live/events, one card per call.
(() => {
  const box = document.getElementById("live-calls");
  const none = document.getElementById("no-calls");
  const status = document.getElementById("live-status");
  const speaker = { agent: "상담원", caller: "어르신" };

  function card(callId, title) {
    let el = box.querySelector(`[data-call-id="${CSS.escape(callId)}"]`);
    if (el) return el;
    el = document.createElement("article");
    el.className = "live-call";
    el.dataset.callId = callId;
    const header = document.createElement("header");
    const name = document.createElement("strong");
    name.textContent = title || "통화";
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = " 통화 중 ";
    const link = document.createElement("a");
    link.href = `/dashboard/calls/${encodeURIComponent(callId)}`;
    link.textContent = "기록 보기";
    header.append(name, state, link);
    const list = document.createElement("ol");
    list.className = "transcript";
    el.append(header, list);
    box.prepend(el);
    none.hidden = true;
    return el;
  }

  function show(ev) {
    if (ev.kind === "started") {
      const person = (ev.data && ev.data.person) || {};
      card(ev.call_id, person.name || person.phone);
    } else if (ev.kind === "agent" || ev.kind === "caller") {
      const li = document.createElement("li");
      li.className = `turn ${ev.kind}`;
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = speaker[ev.kind];
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = ev.text || "(말씀 없음)";
      li.append(who, text);
      card(ev.call_id).querySelector(".transcript").append(li);
    } else if (ev.kind === "ended") {
      const el = card(ev.call_id);
      el.classList.add("ended");
      const flags = (ev.data && ev.data.flags) || [];
      const data = ev.data || {};
      const outcome = data.outcome_label || data.outcome || "";  // the Korean name the server sends with it
      el.querySelector(".state").textContent = ` 종료 (${outcome})${flags.length ? ` · 알림 ${flags.length}건` : ""} `;
    }
  }

  const source = new EventSource("/dashboard/live/events");
  source.addEventListener("open", () => { status.textContent = "실시간 연결됨"; status.classList.add("on"); });
  source.addEventListener("error", () => { status.textContent = "다시 연결하는 중…"; status.classList.remove("on"); });
  source.addEventListener("call", (msg) => show(JSON.parse(msg.data)));
})();
