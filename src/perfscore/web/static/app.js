// perfscore serve: the page. Talks only to this machine's server (/api/jobs ...).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  let chosen = [];      // [{file, name}] name: path inside a chosen/dropped folder
  let currentJob = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function showChosen() {
    const text = chosen.length === 0 ? "尚未选择文件"
      : chosen.length <= 5 ? "已选择: " + chosen.map((c) => c.name).join("、")
      : `已选择 ${chosen.length} 个文件`;
    $("chosen").textContent = text;
  }

  function addFiles(list, withPath) {
    for (const file of list) {
      chosen.push({ file, name: (withPath && file.webkitRelativePath) || file.name });
    }
    showChosen();
  }

  // a dropped folder: walk it (browsers give folders as entries)
  function readEntry(entry, prefix, out) {
    return new Promise((resolve) => {
      if (entry.isFile) {
        entry.file((file) => { out.push({ file, name: prefix + file.name }); resolve(); }, () => resolve());
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        const all = [];
        const next = () => reader.readEntries((batch) => {
          if (batch.length === 0) {
            Promise.all(all.map((e) => readEntry(e, prefix + entry.name + "/", out))).then(resolve);
          } else { all.push(...batch); next(); }
        }, () => resolve());
        next();
      } else resolve();
    });
  }

  function setError(text) {
    const box = $("error");
    box.hidden = !text;
    box.textContent = text || "";
  }

  function setProgress(done, total, label) {
    $("status").hidden = false;
    $("bar").max = Math.max(total, 1);
    $("bar").value = done;
    $("progress-text").textContent = label;
  }

  function clearResults() {
    $("results").replaceChildren();
    $("failures").replaceChildren();
    $("summary").hidden = true;
    setError("");
    if (currentJob) {
      fetch(`/api/jobs/${currentJob}`, { method: "DELETE" }).catch(() => {});
      currentJob = null;
    }
  }

  function upload() {
    if (chosen.length === 0) { setError("请先选择或拖入文件"); return; }
    clearResults();
    const data = new FormData();
    for (const c of chosen) data.append("files", c.file, c.name);
    const mode = document.querySelector("input[name=policy_mode]:checked").value;
    const policyFile = $("policy_file").files[0];
    if (mode === "file") {
      if (!policyFile) { setError("请选择规则文件（.yaml / .json），或改用预设"); return; }
      data.append("policy_file", policyFile, policyFile.name);
    } else data.append("policy", $("policy").value);
    $("start").disabled = true;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/jobs");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) setProgress(e.loaded, e.total, `上传中 ${Math.floor((100 * e.loaded) / e.total)}%`);
    };
    xhr.onload = () => {
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = { error: "服务器的回答无法读取" }; }
      if (xhr.status !== 202) { done(); setError(answer.error || `请求失败（${xhr.status}）`); $("status").hidden = true; return; }
      currentJob = answer.job;
      poll(answer.job);
    };
    xhr.onerror = () => { done(); setError("无法连接到 perfscore 服务：请确认运行 perfscore serve 的窗口没有关闭"); };
    setProgress(0, 1, "上传中…");
    xhr.send(data);
  }

  function done() { $("start").disabled = false; }

  function poll(job) {
    fetch(`/api/jobs/${job}`).then((r) => r.json().then((body) => ({ ok: r.ok, body }))).then(({ ok, body }) => {
      if (!ok) { done(); setError(body.error || "请求失败"); return; }
      setProgress(body.done, body.total, `已评分 ${body.done} / ${body.total} 个文件`);
      if (!body.finished) { setTimeout(() => poll(job), 300); return; }
      done();
      if (body.error) setError(body.error);
      render(job, body);
    }).catch(() => { done(); setError("无法连接到 perfscore 服务：请确认运行 perfscore serve 的窗口没有关闭"); });
  }

  const link = (job, name) => `/api/jobs/${job}/download/${encodeURIComponent(name)}`;

  function render(job, body) {
    const results = body.results || [];
    const failures = body.failures || [];
    const grades = {};
    for (const r of results) grades[r.grade] = (grades[r.grade] || 0) + 1;
    $("counts").textContent = `已评分 ${results.length} 个项目，失败 ${failures.length} 个` +
      (results.length ? "（" + ["优", "良", "中", "差"].map((g) => `${g} ${grades[g] || 0}`).join("，") + "）" : "");
    for (const [id, name] of [["dl-sheets", "sheets.zip"], ["dl-summary", "summary.xlsx"], ["dl-html", "report.html"],
      ["dl-md", "report.md"], ["dl-batch", "batch.zip"]]) {
      $(id).href = link(job, name);
      $(id).setAttribute("download", "");
    }
    $("dl-sheets").hidden = results.length === 0;
    $("summary").hidden = false;
    if (failures.length) {
      $("failures").append(el("h3", {}, `无法评分的文件（${failures.length} 个）`),
        el("ul", { class: "failures" }, ...failures.map((f) => el("li", {}, f.error))));
    }
    const open = results.length <= 3;
    const list = $("results");
    results.forEach((r, i) => list.append(project(job, r, i, open)));
  }

  function cellRow(tag, values, classes) {
    return el("tr", {}, ...values.map((v, i) => el(tag, classes && classes[i] ? { class: classes[i] } : {}, v)));
  }

  function project(job, r, i, open) {
    const head = el("summary", {},
      el("span", { class: "name" }, r.name),
      el("span", { class: "unit" }, r.unit),
      el("span", { class: "total" }, "总分 ", el("b", { class: "total-value" }, r.total)),
      el("span", { class: "grade grade-" + r.grade }, "等级 ", el("b", { class: "grade-value" }, r.grade)));
    const box = el("details", { class: "project panel", id: `project-${i}` }, head);
    if (open) box.open = true;
    box.append(el("p", { class: "meta" }, `${r.kind} · 来源 ${r.file} · 评分规则 ${r.policy}` + (r.year ? ` · ${r.year} 年度` : "")));
    if (r.tasks.length) {
      const t = el("table", { class: "tasks" },
        el("thead", {}, cellRow("th", ["年度主要任务", "下达金额", "执行金额", "执行率", "分值", "得分"])),
        el("tbody", {}, ...r.tasks.map((k) => cellRow("td", [k.name, k.budget, k.executed, k.rate, k.weight, k.score],
          [null, "num", "num", "num", "num", "num"]))));
      box.append(t);
    }
    let last1 = null, last2 = null;
    const rows = r.indicators.map((d) => {
      const l1 = d.level1 !== last1 ? d.level1 : "";
      const l2 = d.level1 !== last1 || d.level2 !== last2 ? d.level2 : "";
      last1 = d.level1; last2 = d.level2;
      const row = cellRow("td", [l1, l2, d.name, d.target, d.actual, d.completion, d.weight, d.score],
        [null, null, null, null, null, "num", "num", "num"]);
      if (d.needs_explanation) row.className = "needs";
      return row;
    });
    box.append(el("table", { class: "indicators" },
      el("thead", {}, cellRow("th", ["一级指标", "二级指标", "三级指标", "指标值", "完成值", "完成程度", "分值", "得分"])),
      el("tbody", {}, ...rows)));
    box.append(el("p", { class: "figures" },
      `预算执行率 ${r.execution_rate}　分值 ${r.execution_weight}　得分 ${r.execution_score}　` +
      `指标得分小计 ${r.indicator_score}　减分 ${r.deduction}　`,
      el("b", {}, `总分 ${r.total}　等级 ${r.grade}`)));
    if (r.needing.length) {
      box.append(el("h4", {}, "需填写偏差原因和改进措施的指标"),
        el("ul", { class: "needing" }, ...r.needing.map((n) =>
          el("li", {}, `第${n.index}个指标「${n.name}」${n.why}` + (n.cause ? `；偏差原因：${n.cause}` : "，尚未填写偏差原因")))));
    }
    if (r.warnings.length) {
      box.append(el("h4", {}, `提示（${r.warnings.length} 条）`), el("ul", { class: "warnings" }, ...r.warnings.map((w) => el("li", {}, w))));
    }
    const found = r.findings.length ? r.findings : r.discrepancies;
    if (found.length) {
      box.append(el("h4", {}, `与原表不一致（${found.length} 处）`),
        el("table", { class: "findings" },
          el("thead", {}, cellRow("th", ["单元格", "项目", "原表", "应为"])),
          el("tbody", {}, ...found.map((f) => cellRow("td", [f.cell || "—", f.label, f.reported, f.computed])))));
    } else if (r.findings !== undefined && r.file.match(/\.xls[xm]$/i)) {
      box.append(el("p", { class: "ok" }, "原表数字与重新计算的结果一致"));
    }
    box.append(el("p", {}, el("a", { class: "button sheet-download", href: link(job, r.sheet), download: "" }, `下载填好的自评表 ${r.sheet}`)));
    return box;
  }

  $("files").addEventListener("change", (e) => { addFiles(e.target.files, false); e.target.value = ""; });
  $("folder").addEventListener("change", (e) => { addFiles(e.target.files, true); e.target.value = ""; });
  $("policy_file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    $("policy_chosen").textContent = file ? file.name : "";
    if (file) document.querySelector("input[value=file]").checked = true;
  });
  $("form").addEventListener("submit", (e) => { e.preventDefault(); upload(); });
  $("clear").addEventListener("click", () => { chosen = []; showChosen(); clearResults(); $("status").hidden = true; });

  const drop = $("drop");
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const items = [...(e.dataTransfer.items || [])];
    const entries = items.map((it) => it.webkitGetAsEntry && it.webkitGetAsEntry()).filter(Boolean);
    if (entries.length) {
      const out = [];
      Promise.all(entries.map((entry) => readEntry(entry, "", out))).then(() => { chosen.push(...out); showChosen(); });
    } else addFiles(e.dataTransfer.files, false);
  });
})();
