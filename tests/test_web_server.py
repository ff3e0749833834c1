"""`perfscore serve` as a user starts it: a real process on a loopback port, and the page
in headless Chromium (skipped where Chromium, chromedriver or selenium are missing)."""

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx2")

from conftest import GOUMAI, QIAOKOU, ROOT
SCREENSHOT = ROOT / "docs" / "serve.png"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`perfscore serve --no-browser --port P` in its own process; its URL."""
    port = free_port()
    env = dict(os.environ, TMPDIR=str(tmp_path_factory.mktemp("server-temp")))
    process = subprocess.Popen(
        [sys.executable, "-m", "perfscore.cli", "serve", "--no-browser", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(200):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode("utf-8", "replace"))
            time.sleep(0.1)
        else:
            raise AssertionError("perfscore serve did not answer")
        yield url, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_answers_on_loopback_and_survives_bad_uploads(server):
    url, process = server
    assert "绩效自评表评分" in httpx.get(url).text
    bad = httpx.post(url + "api/score", files=[("files", ("坏.yaml", b"kind: [1\n"))])
    assert bad.status_code == 200 and bad.json()["failures"][0]["error"].startswith("文件 坏.yaml")
    garbage = httpx.post(url + "api/score", content=b"\x00" * 1000, headers={"content-type": "multipart/form-data; boundary=zz"})
    assert garbage.status_code == 400
    good = httpx.post(url + "api/score", files=[("files", (GOUMAI.name, GOUMAI.read_bytes()))], data={"policy": "liaoning"})
    assert good.status_code == 200
    [result] = json.loads(good.text, parse_float=Decimal)["results"]
    assert (result["total"], result["grade"]) == (Decimal("98.32"), "优")
    assert process.poll() is None
    # it listens on loopback only
    port = int(url.rsplit(":", 1)[1].strip("/"))
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} - {"127.0.0.1"}
    for address in addresses:
        if address.startswith("127."):
            continue
        with socket.socket() as probe:
            probe.settimeout(1)
            assert probe.connect_ex((address, port)) != 0


# -- the page in a real browser ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium / chromedriver not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1400", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
    })
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as exc:  # a browser that cannot start here (no display libraries, …)
        pytest.skip(f"headless chromium did not start: {type(exc).__name__}")
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver, downloads
    finally:
        driver.quit()


def screenshot(driver, path: Path, width: int = 1366) -> None:
    """The whole page in one picture: the window as tall as the page."""
    path.parent.mkdir(exist_ok=True)
    for _ in range(3):
        height = driver.execute_script("return document.documentElement.scrollHeight")
        inner = driver.execute_script("return window.innerHeight")
        if inner >= height:
            break
        driver.set_window_size(width, driver.get_window_size()["height"] + height - inner)
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000


def at_size(driver, width: int, height: int) -> None:
    driver.set_window_size(width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(width + width - inner[0], height + height - inner[1])


def in_view(driver, element) -> bool:
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;", element)


def test_page_scores_an_uploaded_sheet_and_downloads_the_filled_sheet(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url, _ = server
    driver, downloads = browser
    at_size(driver, 1366, 768)
    driver.get(url)
    assert "绩效自评表评分" in driver.title
    driver.find_element(By.ID, "files").send_keys(str(GOUMAI))
    Select(driver.find_element(By.ID, "policy")).select_by_value("liaoning")
    assert GOUMAI.name in driver.find_element(By.ID, "chosen").text
    driver.find_element(By.ID, "start").click()
    wait = WebDriverWait(driver, 30)
    total = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#overview .total-value"))[0]
    assert total.text == "98.32"
    # one project: its detail opens by itself
    detail_total = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#detail .total-value"))[0]
    assert detail_total.text == "98.32" and in_view(driver, detail_total)
    assert driver.find_element(By.CSS_SELECTOR, "#detail .grade-value").text == "优"
    assert "评分规则 辽宁省" in driver.find_element(By.CSS_SELECTOR, "#detail .meta").text
    table = driver.find_element(By.CSS_SELECTOR, "#detail table.indicators").text
    for term in ("一级指标", "三级指标", "完成程度", "偏差原因", "改进措施", "决策咨询建议数量"):
        assert term in table
    assert "年初预算数" in driver.find_element(By.CSS_SELECTOR, "#detail table.budget").text
    assert "83.16%" in driver.find_element(By.CSS_SELECTOR, "#detail .figures").text
    screenshot(driver, ROOT / "docs" / "serve-detail.png")

    driver.find_element(By.CSS_SELECTOR, "#detail .sheet-download").click()
    WebDriverWait(driver, 30).until(
        lambda d: [p for p in downloads.iterdir() if p.suffix == ".xlsx"] and not list(downloads.glob("*.crdownload")))
    [sheet] = [p for p in downloads.iterdir() if p.suffix == ".xlsx"]
    assert sheet.name == "政府购买法律服务.xlsx"
    ws = openpyxl.load_workbook(io.BytesIO(sheet.read_bytes()), data_only=True)["项目绩效自评表"]
    assert 98.32 in [c.value for row in ws.iter_rows() for c in row]
    sheet.unlink()

    # a broken file next: a Chinese failure on the page, and the page still works
    broken = downloads / "坏.yaml"
    broken.write_text("kind: project\nname: 坏\n", encoding="utf-8")
    driver.find_element(By.ID, "clear").click()
    driver.find_element(By.ID, "files").send_keys(str(broken))
    driver.find_element(By.ID, "start").click()
    failure = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#overview tr.failure"))[0]
    assert "错误" in failure.text and failure.get_attribute("title").startswith("文件 坏.yaml")
    broken.unlink()


def test_five_files_land_on_an_overview_with_each_total_in_view(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url, _ = server
    driver, _ = browser
    at_size(driver, 1366, 768)
    driver.get(url)
    five = sorted(QIAOKOU.glob("0*.yaml"))[:5]
    driver.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in five))
    note = driver.find_element(By.ID, "rules-note")
    assert note.is_displayed() and "perfscore.yaml" in note.text  # said before scoring: the folder's rules are not among them
    Select(driver.find_element(By.ID, "policy")).select_by_value("hubei")
    assert not note.is_displayed()
    driver.find_element(By.ID, "start").click()
    rows = WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#overview tbody tr.result")
                                           if len(d.find_elements(By.CSS_SELECTOR, "#overview tbody tr.result")) == 5 else None)
    header = driver.find_element(By.CSS_SELECTOR, "#overview th[data-key=total]")
    assert header.text == "总分" and in_view(driver, header)
    assert in_view(driver, rows[0].find_element(By.CSS_SELECTOR, ".total-value"))
    for row in rows:
        name, total = row.find_element(By.CSS_SELECTOR, ".name"), row.find_element(By.CSS_SELECTOR, ".total-value")
        top = lambda e: driver.execute_script("return arguments[0].getBoundingClientRect().top + arguments[0].getBoundingClientRect().height / 2", e)
        assert abs(top(name) - top(total)) < 2 and name.size["height"] < 2 * total.size["height"] + 4, name.text
        assert total.text and row.find_element(By.CSS_SELECTOR, ".rules").text == "湖北省"
    names = [r.find_element(By.CSS_SELECTOR, ".name").text for r in rows]
    assert len(set(names)) == 5
    # sortable: by 总分, then the other way
    header.click()
    totals = [Decimal(e.text) for e in driver.find_elements(By.CSS_SELECTOR, "#overview tbody .total-value")]
    assert totals == sorted(totals)
    header.click()
    assert [Decimal(e.text) for e in driver.find_elements(By.CSS_SELECTOR, "#overview tbody .total-value")] == sorted(totals, reverse=True)
    Select(driver.find_element(By.ID, "filter-grade")).select_by_visible_text("差")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#overview tbody tr")) == 0 or all(
        e.text == "差" for e in driver.find_elements(By.CSS_SELECTOR, "#overview tbody .grade-value"))
    Select(driver.find_element(By.ID, "filter-grade")).select_by_visible_text("全部")
    driver.execute_script("window.scrollTo(0, 0)")
    screenshot(driver, SCREENSHOT)
    # printing: the overview, never the upload form
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not driver.find_element(By.ID, "form").is_displayed()
        assert driver.find_element(By.ID, "overview").is_displayed()
        screenshot(driver, ROOT / "docs" / "serve-print.png")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_a_changed_actual_changes_the_total_exactly_as_perfscore_score(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url, _ = server
    driver, _ = browser
    at_size(driver, 1366, 768)
    driver.get(url)
    driver.find_element(By.ID, "files").send_keys(str(GOUMAI))
    Select(driver.find_element(By.ID, "policy")).select_by_value("liaoning")
    driver.find_element(By.ID, "start").click()
    wait = WebDriverWait(driver, 30)
    box = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#detail input[aria-label='第1个指标完成值']"))[0]
    assert box.get_attribute("value") == "5 条"
    box.clear()
    box.send_keys("2 条", Keys.ENTER)
    from selenium.common.exceptions import StaleElementReferenceException

    def changed(d):
        try:
            return d.find_element(By.CSS_SELECTOR, "#detail .total-value").text != "98.32"
        except StaleElementReferenceException:  # the detail is drawn again
            return False

    wait.until(changed)
    shown = driver.find_element(By.CSS_SELECTOR, "#detail .total-value").text
    edited = tmp_path / GOUMAI.name
    text = GOUMAI.read_text("utf-8")
    assert text.count('actual: "5 条"') == 1
    edited.write_text(text.replace('actual: "5 条"', 'actual: "2 条"'), "utf-8")
    cli = subprocess.run([sys.executable, "-m", "perfscore.cli", "score", str(edited), "--policy", "liaoning", "--format", "json"],
                         capture_output=True, text=True, env=os.environ)
    expected = json.loads(cli.stdout, parse_float=Decimal)
    assert Decimal(shown) == expected["total"]
    assert driver.find_element(By.CSS_SELECTOR, "#overview .total-value").text == shown  # the overview follows
    assert "已修改" in driver.find_element(By.CSS_SELECTOR, "#overview .badges").text


def test_page_takes_a_folder_zip_with_a_stray_file_and_shows_every_project(server, browser, tmp_path):
    import zipfile

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url, _ = server
    driver, downloads = browser
    at_size(driver, 1366, 768)
    folder = QIAOKOU
    archive = tmp_path / "桥口区.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.glob("*.yaml")):
            out.write(path, f"桥口区/{path.name}")
        out.writestr("桥口区/readme.txt", "说明")
    driver.get(url)
    driver.find_element(By.ID, "files").send_keys(str(archive))
    Select(driver.find_element(By.ID, "policy")).select_by_value("")  # each folder's own rules: the uploaded perfscore.yaml
    driver.find_element(By.ID, "start").click()
    n = len([p for p in folder.glob("*.yaml") if p.name != "perfscore.yaml"])  # the folder's policy file is not a project
    WebDriverWait(driver, 60).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#overview tr.result")) == n)
    assert driver.find_element(By.ID, "counts").text.startswith(f"已评分 {n} 个项目，失败 0 个")
    assert "readme.txt" in driver.find_element(By.ID, "ignored").get_attribute("textContent")
    assert {e.text for e in driver.find_elements(By.CSS_SELECTOR, "#overview .rules")} == {"桥口区.zip/桥口区/perfscore.yaml"}
    shown = {e.get_attribute("textContent") for e in driver.find_elements(By.CSS_SELECTOR, "#overview .name")}
    assert len(shown) == n
    driver.find_element(By.ID, "dl-summary").click()
    WebDriverWait(driver, 30).until(lambda d: (downloads / "summary.xlsx").exists()
                                    and not list(downloads.glob("*.crdownload")))
    summary = openpyxl.load_workbook(downloads / "summary.xlsx")
    cells = {c.value for ws in summary for row in ws.iter_rows() for c in row}
    assert shown <= cells
