// The page: plain JavaScript, no framework, nothing from outside. It calls the service's own API:
// /api/v1/check (one request per file, so the progress bar moves), /api/v1/scored, /api/v1/report, /api/v1/summary,
// /templates, /addin.
"use strict";

const config = JSON.parse(document.getElementById("config").textContent || "{}");
const $ = (id) => document.getElementById(id);
const SEVERITY = config.severity || {error: "错误", warning: "警告", info: "提示"};
const PARALLEL = 2;
const TOKEN_KEY = "perfeval-xl-token";

let files = [];      // File objects, in the order chosen
let records = [];    // /api/v1/check's record for each file (same index)

function headers() {
  const token = config.auth ? $("token").value.trim() : "";
  return token ? {"Authorization": "Bearer " + token} : {};
}

async function errorText(response) {
  try {
    const body = await response.json();
    if (body && body.detail) return body.detail;
  } catch (e) { /* not JSON */ }
  return "服务返回错误（" + response.status + "）。";
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function policyQuery() {
  const policy = $("policy").value;
  return policy ? "?policy=" + encodeURIComponent(policy) : "";
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function number(value, digits) {
  if (value === null || value === undefined || value === "") return "—";
  return typeof value === "number" ? String(Math.round(value * 10 ** digits) / 10 ** digits) : String(value);
}

// A form without points (a family with scored = false, e.g. 湖南 县级专项资金绩效目标自评表) has no total by design:
// say so, instead of the "—" that means a total could not be worked out.
const UNSCORED = "本表不打分";

function shownTotal(record) {
  return record.scored === false ? UNSCORED : number(record.total, 2);
}

function percent(rate) {
  return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(2) + "%";
}

function fileCard(index) {
  const file = files[index];
  const card = el("div", {"class": "file-card", "id": "file-" + index, "data-index": String(index)},
    el("h3", {}, el("span", {"class": "name"}, file.name), el("span", {"class": "status"}, "等待校验…")));
  card.append(el("div", {"class": "body"}));
  return card;
}

function renderOverviewRow(index) {
  // One line per file above the cards when several were chosen: the whole batch at a glance.
  const record = records[index];
  const row = document.querySelector(`#overview tr[data-index="${index}"]`);
  if (!row) return;
  const link = el("a", {"href": "#file-" + index}, files[index].name);
  const cells = record.error
    ? [el("td", {"colspan": "5", "class": "failed"}, "无法校验")]
    : [el("td", {}, percent(record.execution_rate)), el("td", {}, shownTotal(record)),
       el("td", {"class": "grade-" + (record.grade || "")}, record.grade || "—"),
       el("td", {"class": record.errors ? "failed" : ""}, record.errors), el("td", {}, record.warnings)];
  row.replaceChildren(el("td", {}, link), ...cells);
}

function renderRecord(index) {
  renderOverviewRow(index);
  const record = records[index];
  const card = document.querySelector(`.file-card[data-index="${index}"]`);
  const body = card.querySelector(".body");
  const status = card.querySelector(".status");
  body.textContent = "";
  status.textContent = "";
  if (record.error) {
    card.classList.add("unreadable");
    body.append(el("p", {"class": "failed"}, "无法校验：" + record.error));
    return;
  }
  const download = el("button", {"type": "button", "class": "scored"}, "下载评分后的工作簿");
  download.addEventListener("click", () => downloadScored(index, download));
  status.append(download);
  body.append(el("div", {"class": "verdict"},
    el("span", {"class": "rate"}, "执行率 ", el("b", {}, percent(record.execution_rate))),
    // A total of only our suggestions (no 得分 typed on any indicator) must not read as the unit's self-assessment.
    el("span", {"class": "total"}, record.total_basis === "suggested" && record.total !== null ? "建议总分 " : "总分 ",
       el("b", {}, shownTotal(record))),
    el("span", {"class": "grade"}, "等次 ", el("b", {"class": "grade-" + (record.grade || "")}, record.grade || "—")),
    el("span", {"class": "count-errors"}, "错误 ", el("b", {}, record.errors)),
    el("span", {"class": "count-warnings"}, "警告 ", el("b", {}, record.warnings))));
  const facts = [["项目名称", record.project_name], ["实施单位", record.implementing_unit], ["工作表", record.sheet],
                 ["评分口径", record.policy]].filter(([, v]) => v);
  body.append(el("p", {"class": "facts hint"}, facts.map(([k, v]) => k + "：" + v).join("；")));
  for (const notice of record.notices || []) body.append(el("p", {"class": "notice"}, notice));
  if (!record.issues.length) {
    body.append(el("p", {"class": "none"}, "未发现问题。"));
    return;
  }
  const rows = record.issues.map((issue) => el("tr", {"class": "sev-" + issue.severity},
    el("td", {"class": "cell"}, issue.cell || "全表"), el("td", {"class": "code"}, issue.code),
    el("td", {"class": "severity"}, SEVERITY[issue.severity] || issue.severity),
    el("td", {"class": "message"}, issue.message + (issue.suggested !== null && issue.suggested !== undefined &&
      issue.suggested !== "" && !issue.message.includes("建议") ? "（建议值：" + issue.suggested + "）" : ""))));
  body.append(el("table", {"class": "issues"},
    el("thead", {}, el("tr", {}, el("th", {}, "单元格"), el("th", {}, "代码"), el("th", {}, "级别"), el("th", {}, "说明"))),
    el("tbody", {}, ...rows)));
}

function setProgress(done, total, text) {
  $("progress-box").hidden = false;
  $("progress").max = total || 1;
  $("progress").value = done;
  $("progress-text").textContent = text;
}

async function checkOne(index) {
  const form = new FormData();
  form.append("files", files[index], files[index].name);
  try {
    const response = await fetch("/api/v1/check" + policyQuery(), {method: "POST", body: form, headers: headers()});
    if (!response.ok) {
      records[index] = {file: files[index].name, error: await errorText(response), issues: []};
    } else {
      records[index] = (await response.json())[0];
    }
  } catch (e) {
    records[index] = {file: files[index].name, error: "无法连接校验服务，请检查网络后重试。", issues: []};
  }
  renderRecord(index);
}

async function checkAll(chosen) {
  const accepted = Array.from(chosen);
  if (!accepted.length) return;
  files = accepted;
  records = new Array(files.length);
  $("results").textContent = "";
  files.forEach((_, i) => $("results").append(fileCard(i)));
  const overview = $("overview");
  overview.querySelector("tbody").replaceChildren(...files.map((file, i) =>
    el("tr", {"data-index": String(i)}, el("td", {}, file.name), el("td", {"colspan": "5", "class": "hint"}, "等待校验…"))));
  overview.hidden = files.length < 2;
  $("results-box").hidden = false;
  $("summary").hidden = files.length < 2;
  $("summary-status").textContent = "";
  let next = 0, done = 0;
  setProgress(0, files.length, `正在校验 0 / ${files.length} 份…`);
  async function worker() {
    while (next < files.length) {
      const index = next++;
      await checkOne(index);
      done += 1;
      setProgress(done, files.length, done < files.length ? `正在校验 ${done} / ${files.length} 份…`
        : `已校验 ${files.length} 份：` + verdictLine());
    }
  }
  await Promise.all(Array.from({length: Math.min(PARALLEL, files.length)}, worker));
}

function verdictLine() {
  const failed = records.filter((r) => r.error).length;
  const withErrors = records.filter((r) => !r.error && r.errors).length;
  return `${withErrors} 份有错误，${failed} 份无法读取。`;
}

async function downloadScored(index, button) {
  button.disabled = true;
  const old = button.textContent;
  button.textContent = "正在生成…";
  const form = new FormData();
  form.append("file", files[index], files[index].name);
  try {
    const response = await fetch("/api/v1/scored" + policyQuery(), {method: "POST", body: form, headers: headers()});
    if (!response.ok) alert(await errorText(response));
    else saveBlob(await response.blob(), files[index].name);
  } catch (e) {
    alert("无法连接校验服务，请检查网络后重试。");
  }
  button.textContent = old;
  button.disabled = false;
}

async function downloadReport() {
  const response = await fetch("/api/v1/report", {method: "POST", body: JSON.stringify(records.filter(Boolean)),
                                                   headers: {...headers(), "Content-Type": "application/json"}});
  if (!response.ok) alert(await errorText(response));
  else saveBlob(await response.blob(), "校验报告.md");
}

function downloadSummary() {
  // XMLHttpRequest, not fetch: it reports upload progress for the indicator.
  const button = $("summary");
  const status = $("summary-status");
  const form = new FormData();
  files.forEach((file) => form.append("files", file, file.name));
  const request = new XMLHttpRequest();
  request.open("POST", "/api/v1/summary" + policyQuery());
  for (const [key, value] of Object.entries(headers())) request.setRequestHeader(key, value);
  request.responseType = "blob";
  request.upload.onprogress = (event) => {
    if (event.lengthComputable) setProgress(event.loaded, event.total, `正在上传 ${Math.round(100 * event.loaded / event.total)}%…`);
  };
  request.upload.onload = () => {
    $("progress").removeAttribute("value");  // indeterminate while the service checks and writes
    $("progress-text").textContent = `正在汇总 ${files.length} 份…`;
  };
  request.onload = async () => {
    button.disabled = false;
    if (request.status === 200) {
      saveBlob(request.response, "汇总.xlsx");
      setProgress(1, 1, "汇总.xlsx 已生成。");
      status.textContent = "";
    } else {
      let text = "汇总失败（" + request.status + "）。";
      try { text = JSON.parse(await request.response.text()).detail || text; } catch (e) { /* keep */ }
      setProgress(0, 1, text);
    }
  };
  request.onerror = () => { button.disabled = false; setProgress(0, 1, "无法连接校验服务，请检查网络后重试。"); };
  button.disabled = true;
  setProgress(0, 1, "正在上传…");
  request.send(form);
}

async function downloadAddin() {
  const status = $("addin-status");
  status.textContent = "正在生成…";
  try {
    const response = await fetch("/addin", {headers: headers()});
    if (!response.ok) { status.textContent = await errorText(response); return; }
    saveBlob(await response.blob(), "绩效自评加载项.zip");
    status.textContent = "已下载：请按下面的步骤安装。";
  } catch (e) {
    status.textContent = "无法连接校验服务，请检查网络后重试。";
  }
}

function setup() {
  $("max-mb").textContent = config.max_body_mb;
  $("version").textContent = `perfeval-xl ${config.perfeval_xl || ""}（xlwings ${config.xlwings || ""}）`;
  for (const name of config.policies || []) $("policy").append(el("option", {"value": name}, name));
  for (const name of config.templates || []) {
    $("templates").append(el("li", {}, el("a", {"href": "/templates/" + encodeURIComponent(name), "download": name}, name)));
  }
  if (config.auth) {
    $("token-box").hidden = false;
    $("token").value = localStorage.getItem(TOKEN_KEY) || "";
    $("token").addEventListener("change", () => localStorage.setItem(TOKEN_KEY, $("token").value.trim()));
  }
  const drop = $("drop"), input = $("files");
  drop.addEventListener("click", () => input.click());
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") input.click(); });
  input.addEventListener("change", () => { checkAll(input.files); input.value = ""; });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); checkAll(e.dataTransfer.files); });
  $("report").addEventListener("click", downloadReport);
  $("summary").addEventListener("click", downloadSummary);
  $("addin").addEventListener("click", downloadAddin);
  $("clear").addEventListener("click", () => { files = []; records = []; $("results").textContent = "";
    $("overview").hidden = true;
    $("results-box").hidden = true; $("progress-box").hidden = true; });
}

setup();
