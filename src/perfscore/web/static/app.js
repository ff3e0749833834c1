// perfscore serve: the page. Talks only to this machine's server (/api/jobs ...).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  let chosen = [];      // [{file, name}] name: path inside a chosen/dropped folder
  let currentJob = null;
  let rows = [];        // the overview: {kind: "result" | "failure", r | f, edited}
  let sortKey = null, sortUp = true;
  const GRADE_ORDER = { "优": 0, "良": 1, "中": 2, "差": 3 };
  const RULE_FILES = ["perfscore.yaml", "perfscore.yml", "perfscore.json"];

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

  function baseName(name) { return name.split("/").pop().toLowerCase(); }

  function showChosen() {
    const text = chosen.length === 0 ? "尚未选择文件"
      : chosen.length <= 5 ? "已选择: " + chosen.map((c) => c.name).join("、")
      : `已选择 ${chosen.length} 个文件`;
    $("chosen").textContent = text;
    rulesNote();
  }

  // before scoring: a file's own rules chosen, but no folder's rules file among the files
  function rulesNote() {
    const note = $("rules-note");
    const own = mode() === "preset" && $("policy").value === "";
    const plain = chosen.filter((c) => !c.name.toLowerCase().endsWith(".zip"));
    const hasRules = chosen.some((c) => RULE_FILES.includes(baseName(c.name)));
    const show = own && plain.length > 0 && !hasRules;
    note.hidden = !show;
    note.textContent = show
      ? "提示：所选文件中没有文件夹的规则文件 perfscore.yaml，这些文件将按财预〔2020〕10号通用规则评分（项目文件自己写明规则的除外）。" +
        "如果单位的文件夹里有 perfscore.yaml（例如辽宁省、湖北省的规则），请选择整个文件夹或把它一并选上，或在上面直接选择规则。"
      : "";
  }

  function mode() { return document.querySelector("input[name=policy_mode]:checked").value; }

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
    rows = [];
    $("overview").tBodies[0].replaceChildren();
    $("ignored").replaceChildren();
    $("detail").replaceChildren();
    $("detail").hidden = true;
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
    const policyFile = $("policy_file").files[0];
    if (mode() === "file") {
      if (!policyFile) { setError("请选择规则文件（.yaml / .json），或改用上面的规则"); return; }
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

  const template = () => $("template").value;
  const link = (job, name) => `/api/jobs/${job}/download/${encodeURIComponent(name)}` +
    (template() ? `?template=${encodeURIComponent(template())}` : "");

  function setLinks() {
    if (!currentJob) return;
    for (const [id, name] of [["dl-sheets", "sheets.zip"], ["dl-summary", "summary.xlsx"], ["dl-html", "report.html"],
      ["dl-md", "report.md"], ["dl-batch", "batch.zip"]]) {
      $(id).href = link(currentJob, name);
      $(id).setAttribute("download", "");
    }
  }

  function render(job, body) {
    const results = body.results || [];
    const failures = body.failures || [];
    const grades = {};
    for (const r of results) grades[r.grade] = (grades[r.grade] || 0) + 1;
    $("counts").textContent = `已评分 ${results.length} 个项目，失败 ${failures.length} 个` +
      (results.length ? "（" + ["优", "良", "中", "差"].map((g) => `${g} ${grades[g] || 0}`).join("，") + "）" : "");
    const used = {};
    for (const r of results) used[r.policy] = (used[r.policy] || 0) + 1;
    $("rules-used").textContent = Object.keys(used).length
      ? "评分规则：" + Object.entries(used).map(([p, n]) => `${p}（${n} 个）`).join("；") : "";
    setLinks();
    $("dl-sheets").hidden = results.length === 0;
    const ignored = body.ignored || [];
    if (ignored.length) {
      $("ignored").append(el("details", { class: "ignored" },
        el("summary", {}, `已忽略 ${ignored.length} 个不是自评表或项目文件的文件（与命令行 batch 相同）`),
        el("ul", {}, ...ignored.map((name) => el("li", {}, name)))));
    }
    rows = results.map((r) => ({ kind: "result", r }))
      .concat(failures.map((f) => ({ kind: "failure", f })));
    const units = [...new Set(rows.map(unitOf).filter(Boolean))].sort();
    $("filter-unit").replaceChildren(el("option", { value: "" }, "全部"), ...units.map((u) => el("option", { value: u }, u)));
    $("summary").hidden = false;
    drawOverview();
    $("summary").scrollIntoView({ block: "start" });
    if (results.length === 1 && failures.length === 0) showDetail(0);
  }

  const unitOf = (row) => row.kind === "result" ? row.r.unit : row.f.unit;
  const badgesOf = (row) => row.kind === "failure" ? 1000 : row.r.mismatches + row.r.missing_causes;

  function sortValue(row, key) {
    if (key === "total") return row.kind === "result" ? Number(row.r.total) : -1;
    if (key === "grade") return row.kind === "result" ? GRADE_ORDER[row.r.grade] : 9;
    if (key === "badges") return badgesOf(row);
    if (key === "unit") return unitOf(row) || "";
    if (key === "rules") return row.kind === "result" ? row.r.policy : "";
    if (key === "file") return row.kind === "result" ? row.r.file : row.f.file;
    return row.kind === "result" ? row.r.name : (row.f.name || row.f.file);
  }

  function visible(row) {
    const unit = $("filter-unit").value, grade = $("filter-grade").value, badge = $("filter-badge").value;
    if (unit && unitOf(row) !== unit) return false;
    if (grade && (row.kind !== "result" || row.r.grade !== grade)) return false;
    if (badge === "error") return row.kind === "failure";
    if (badge === "mismatch") return row.kind === "result" && row.r.mismatches > 0;
    if (badge === "cause") return row.kind === "result" && row.r.missing_causes > 0;
    if (badge === "none") return row.kind === "result" && row.r.mismatches + row.r.missing_causes === 0;
    return true;
  }

  function badge(text, kind) { return el("span", { class: "badge badge-" + kind }, text); }

  function drawOverview() {
    let order = rows.map((row, i) => i);
    if (sortKey) {
      order.sort((a, b) => {
        const x = sortValue(rows[a], sortKey), y = sortValue(rows[b], sortKey);
        const c = typeof x === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
        return (sortUp ? c : -c) || a - b;
      });
    }
    for (const th of $("overview").tHead.rows[0].cells) {
      th.classList.toggle("sorted-up", th.dataset.key === sortKey && sortUp);
      th.classList.toggle("sorted-down", th.dataset.key === sortKey && !sortUp);
    }
    const shown = order.filter((i) => visible(rows[i]));
    $("shown-count").textContent = `显示 ${shown.length} / ${rows.length} 行`;
    $("overview").tBodies[0].replaceChildren(...shown.map((i) => overviewRow(rows[i], i)));
  }

  function overviewRow(row, i) {
    if (row.kind === "failure") {
      const f = row.f;
      const tr = el("tr", { class: "failure", "data-row": i },
        el("td", {}, f.unit || ""), el("td", { class: "name" }, f.name || "（无法读取）"), el("td", { class: "num" }, "—"),
        el("td", {}, "—"), el("td", {}, badge("错误", "error")), el("td", {}, ""), el("td", { class: "file" }, f.file));
      tr.title = f.error;
      tr.addEventListener("click", () => showFailure(f));
      return tr;
    }
    const r = row.r;
    const marks = el("td", { class: "badges" });
    if (r.mismatches) marks.append(badge(`与原表不一致 ${r.mismatches}`, "mismatch"));
    if (r.missing_causes) marks.append(badge(`缺偏差原因 ${r.missing_causes}`, "cause"));
    if (row.edited) marks.append(badge("已修改", "edited"));
    const tr = el("tr", { class: "result", "data-row": i, tabindex: "0" },
      el("td", { class: "unit" }, r.unit), el("td", { class: "name" }, r.name),
      el("td", { class: "num total-value" }, r.total),
      el("td", { class: "grade grade-" + r.grade }, el("b", { class: "grade-value" }, r.grade)),
      marks, el("td", { class: "rules" }, r.policy), el("td", { class: "file" }, r.file));
    tr.addEventListener("click", () => showDetail(i));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") showDetail(i); });
    return tr;
  }

  function showFailure(f) {
    const box = $("detail");
    box.replaceChildren(el("h2", {}, f.name || f.file), el("p", { class: "meta" }, `文件 ${f.file}`),
      el("ul", { class: "failures" }, ...f.error.split("\n").map((line) => el("li", {}, line))),
      el("p", {}, backButton()));
    box.hidden = false;
    box.scrollIntoView({ block: "start" });
  }

  function backButton() {
    const b = el("button", { type: "button", class: "back" }, "返回总览");
    b.addEventListener("click", () => { $("detail").hidden = true; $("summary").scrollIntoView({ block: "start" }); });
    return b;
  }

  function cellRow(tag, values, classes) {
    return el("tr", {}, ...values.map((v, i) => el(tag, classes && classes[i] ? { class: classes[i] } : {}, v)));
  }

  // a fraction's text ("0.85") as a percent ("85%"), by moving the point: no float arithmetic
  function percentText(text) {
    const [whole, part = ""] = String(text).split(".");
    const digits = (whole + (part + "00").slice(0, 2)).replace(/^0+(?=\d)/, "");
    const rest = part.slice(2).replace(/0+$/, "");
    return digits + (rest ? "." + rest : "") + "%";
  }

  function input(value, label, onChange) {
    const box = el("input", { type: "text", value: value === undefined || value === null ? "" : String(value), "aria-label": label });
    box.addEventListener("change", () => onChange(box.value));
    return box;
  }

  function showDetail(i) {
    const row = rows[i];
    const r = row.r;
    const box = $("detail");
    box.replaceChildren();
    box.dataset.row = i;
    const printButton = el("button", { type: "button" }, "打印此项目");
    printButton.addEventListener("click", () => {
      document.body.classList.add("print-project");
      window.print();
      document.body.classList.remove("print-project");
    });
    const download = el("button", { type: "button", class: "sheet-download" }, `下载此项目填好的自评表`);
    download.addEventListener("click", () => downloadProject(i));
    box.append(
      el("h2", { class: "detail-title" }, r.name, " ", el("span", { class: "total" }, "总分 ", el("b", { class: "total-value" }, r.total)),
        " ", el("span", { class: "grade grade-" + r.grade }, "等级 ", el("b", { class: "grade-value" }, r.grade))),
      el("p", { class: "meta" }, `${r.kind} · ${r.unit || "（未填单位）"}` + (r.year ? ` · ${r.year} 年度` : "") +
        ` · 文件 ${r.file} · 评分规则 ${r.policy}`),
      el("p", { class: "actions" }, backButton(), printButton, download));
    if (row.edited) box.append(el("p", { class: "note" }, "已在页面上修改（原文件未改动）：分数按同一评分规则重新计算。"));

    box.append(el("h3", {}, "预算执行情况"),
      el("table", { class: "budget" }, el("tbody", {}, ...r.budget.map(([k, v]) => cellRow("td", [k, v], [null, "num"])))));
    if (r.tasks.length) {
      box.append(el("table", { class: "tasks" },
        el("thead", {}, cellRow("th", ["年度主要任务", "下达金额", "执行金额", "执行率", "分值", "得分"])),
        el("tbody", {}, ...r.tasks.map((k) => cellRow("td", [k.name, k.budget, k.executed, k.rate, k.weight, k.score],
          [null, "num", "num", "num", "num", "num"])))));
    }
    const model = r.model;
    let last1 = null, last2 = null;
    const body = r.indicators.map((d, n) => {
      const l1 = d.level1 !== last1 ? d.level1 : "";
      const l2 = d.level1 !== last1 || d.level2 !== last2 ? d.level2 : "";
      last1 = d.level1; last2 = d.level2;
      const own = model ? model.indicators[n] : null;
      const edit = (field) => (value) => {
        const copy = JSON.parse(JSON.stringify(r.model));
        if (value.trim() === "") delete copy.indicators[n][field];
        else copy.indicators[n][field] = value.trim();
        rescore(i, copy);
      };
      const actual = own ? input(own.actual, `第${n + 1}个指标完成值`, edit("actual")) : d.actual;
      const qualitative = own && (own.completion !== undefined || !/\d/.test(d.target));  // 完成程度 is typed only for these
      const completion = qualitative ? input(own.completion === undefined ? "" : percentText(own.completion), `第${n + 1}个指标完成程度`, edit("completion")) : "";
      if (qualitative && own.completion === undefined) completion.placeholder = d.completion;
      const weight = own ? input(own.weight === undefined ? d.weight : own.weight, `第${n + 1}个指标分值`, edit("weight")) : d.weight;
      const tr = el("tr", d.needs_explanation ? { class: "needs" } : {},
        el("td", {}, l1), el("td", {}, l2), el("td", {}, d.name), el("td", {}, d.target),
        el("td", { class: "edit" }, actual), el("td", { class: "num" }, qualitative ? el("span", {}, completion, el("br"), d.completion) : d.completion),
        el("td", { class: "num edit" }, weight), el("td", { class: "num score" }, d.score),
        el("td", { class: "text" }, d.cause), el("td", { class: "text" }, d.remedy));
      return tr;
    });
    box.append(el("h3", {}, "绩效指标"),
      model ? el("p", { class: "hint screen-only" }, "可直接修改完成值、完成程度（%，定性指标）和分值，改完按回车或点别处，分数按同一评分规则重新计算。") : null,
      el("table", { class: "indicators" },
        el("thead", {}, cellRow("th", ["一级指标", "二级指标", "三级指标", "指标值", "完成值", "完成程度", "分值", "得分", "偏差原因", "改进措施"])),
        el("tbody", {}, ...body)));
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
    } else if (/\.(xlsx|xlsm|xls|ods)$/i.test(r.file) && !row.edited) {
      box.append(el("p", { class: "ok" }, "原表数字与重新计算的结果一致"));
    }
    box.hidden = false;
    box.scrollIntoView({ block: "start" });
  }

  function rescore(i, model) {
    const row = rows[i];
    setError("");
    fetch(`/api/jobs/${currentJob}/projects/${row.r.index}/score`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model }),
    }).then((r) => r.json().then((body) => ({ ok: r.ok, body }))).then(({ ok, body }) => {
      if (!ok) { setError(body.error || "重新计算失败"); return; }
      row.r = body;
      row.edited = true;
      drawOverview();
      showDetail(i);
    }).catch(() => setError("无法连接到 perfscore 服务：请确认运行 perfscore serve 的窗口没有关闭"));
  }

  function downloadProject(i) {
    const row = rows[i];
    if (!row.edited) {  // as scored: the job's own file
      const a = el("a", { href: link(currentJob, row.r.sheet), download: "" });
      document.body.append(a); a.click(); a.remove();
      return;
    }
    const query = template() ? `?template=${encodeURIComponent(template())}` : "";
    fetch(`/api/jobs/${currentJob}/projects/${row.r.index}/sheet${query}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: row.r.model }),
    }).then((r) => {
      if (!r.ok) return r.json().then((body) => setError(body.error || "下载失败"));
      return r.blob().then((blob) => {
        const url = URL.createObjectURL(blob);
        const a = el("a", { href: url, download: row.r.sheet });
        document.body.append(a); a.click(); a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      });
    }).catch(() => setError("无法连接到 perfscore 服务：请确认运行 perfscore serve 的窗口没有关闭"));
  }

  for (const th of $("overview").tHead.rows[0].cells) {
    th.addEventListener("click", () => {
      if (sortKey === th.dataset.key) sortUp = !sortUp; else { sortKey = th.dataset.key; sortUp = true; }
      drawOverview();
    });
  }
  for (const id of ["filter-unit", "filter-grade", "filter-badge"]) $(id).addEventListener("change", drawOverview);
  $("template").addEventListener("change", setLinks);
  $("policy").addEventListener("change", () => { document.querySelector("input[value=preset]").checked = true; rulesNote(); });
  for (const radio of document.querySelectorAll("input[name=policy_mode]")) radio.addEventListener("change", rulesNote);
  $("print-overview").addEventListener("click", () => window.print());
  $("files").addEventListener("change", (e) => { addFiles(e.target.files, false); e.target.value = ""; });
  $("folder").addEventListener("change", (e) => { addFiles(e.target.files, true); e.target.value = ""; });
  $("policy_file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    $("policy_chosen").textContent = file ? file.name : "";
    if (file) document.querySelector("input[value=file]").checked = true;
    rulesNote();
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
