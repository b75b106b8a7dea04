"""The page in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium): upload the examples,
read the table, download the scored copy, the 校验报告 and the 汇总, and compare them with what the command line gives
for the same files (issue #9 part 2). In CI a missing browser fails the test instead of skipping it."""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from service_support import REPO, run_cli, running_service
from test_service_api import workbook_cells

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FILES = sorted((REPO / "examples").glob("*.xlsx")) + sorted((REPO / "examples" / "printed").glob("*.xlsx"))
SCREENSHOT = os.environ.get("PERFEVAL_XL_SCREENSHOT")  # where to keep the page's picture, to look at it


def _browser(profile: Path, downloads: Path):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium and chromium-driver are required in CI (.ci/run installs them)")
        pytest.skip("chromium / chromedriver are not installed")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not try to download a browser or a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1280,2000", "--lang=zh-CN"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def _wait(condition, timeout: float = 90, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _downloaded(folder: Path, name: str) -> Path:
    path = folder / name
    _wait(lambda: path.is_file() and not list(folder.glob("*.crdownload")), what=f"the download of {name}")
    return path


def _number(value) -> str:
    return "—" if value is None else ("%.2f" % value).rstrip("0").rstrip(".")


def _total(record) -> str:
    """The total as the page shows it: a form without points says so (examples/printed has one, 衡山 2020)."""
    return "本表不打分" if record.get("scored") is False else _number(record["total"])


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    for path in FILES:
        shutil.copy(path, folder / path.name)
    names = [p.name for p in FILES]
    records = json.loads(run_cli("check", "--json", *names, cwd=folder).stdout)
    run_cli("check", "--output", "out", "--exit-zero", *names, cwd=folder)
    run_cli("summary", *names, "-o", "汇总.xlsx", cwd=folder)
    return folder, {record["file"]: record for record in records}


def test_the_page_checks_the_examples_like_the_command_line(tmp_path, cli):
    from selenium.webdriver.common.by import By

    folder, expected = cli
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with running_service(tmp_path / "service") as service:
        driver = _browser(tmp_path / "profile", downloads)
        try:
            driver.get(service.url + "/")
            assert "绩效自评" in driver.title
            driver.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in FILES))
            progress = driver.find_element(By.ID, "progress-text")
            _wait(lambda: progress.text.startswith("已校验"), what="the progress line")
            assert progress.text.startswith(f"已校验 {len(FILES)} 份")

            overview = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                        for tr in driver.find_elements(By.CSS_SELECTOR, "#overview tbody tr")]
            assert [row[0] for row in overview] == [p.name for p in FILES]
            assert any(record.get("scored") is False for record in expected.values())  # the unscored case is shown
            for row in overview:
                record = expected[row[0]]
                if "error" not in record:
                    assert row[2:6] == [_total(record), record["grade"] or "—", str(record["errors"]),
                                        str(record["warnings"])]
            cards = driver.find_elements(By.CSS_SELECTOR, ".file-card")
            assert [c.find_element(By.CSS_SELECTOR, ".name").text for c in cards] == [p.name for p in FILES]
            for card in cards:
                record = expected[card.find_element(By.CSS_SELECTOR, ".name").text]
                if "error" in record:
                    assert record["error"] in card.text
                    continue
                rate = record["execution_rate"]
                assert card.find_element(By.CSS_SELECTOR, ".rate b").text == ("—" if rate is None else f"{rate * 100:.2f}%")
                assert card.find_element(By.CSS_SELECTOR, ".total b").text == _total(record)
                suggested = record.get("total_basis") == "suggested" and record["total"] is not None
                assert card.find_element(By.CSS_SELECTOR, ".total").text.startswith("建议总分" if suggested else "总分")
                assert card.find_element(By.CSS_SELECTOR, ".grade b").text == (record["grade"] or "—")
                rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                        for tr in card.find_elements(By.CSS_SELECTOR, "table.issues tbody tr")]
                assert [(r[0], r[1]) for r in rows] == [(i["cell"] or "全表", i["code"]) for i in record["issues"]]
                for row, issue in zip(rows, record["issues"]):
                    # The browser collapses runs of white space (an ideographic space included): compare without it.
                    assert "".join(row[3].split()).startswith("".join(issue["message"].split()))
            if SCREENSHOT:
                driver.save_screenshot(SCREENSHOT)
            # No request left this service: every script and style came from it.
            resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
            assert resources and all(url.startswith(service.url) for url in resources)

            first = cards[0]
            first.find_element(By.CSS_SELECTOR, "button.scored").click()
            scored = _downloaded(downloads, FILES[0].name)
            assert workbook_cells(scored.read_bytes()) == workbook_cells((folder / "out" / FILES[0].name).read_bytes())

            driver.find_element(By.ID, "report").click()
            report = _downloaded(downloads, "校验报告.md")
            assert report.read_text(encoding="utf-8") == (folder / "out" / "校验报告.md").read_text(encoding="utf-8")

            driver.find_element(By.ID, "summary").click()
            summary = _downloaded(downloads, "汇总.xlsx")
            _wait(lambda: "已生成" in progress.text, what="the summary's progress line")

            def rows(path: Path):
                return [[c.value for c in row] for row in openpyxl.load_workbook(path)["汇总"].iter_rows()]
            assert rows(summary) == rows(folder / "汇总.xlsx")

            driver.find_element(By.ID, "addin").click()
            addin = _downloaded(downloads, "绩效自评加载项.zip")
            with zipfile.ZipFile(addin) as archive:
                assert any(name.endswith(".xlam") for name in archive.namelist())
            assert "已下载" in driver.find_element(By.ID, "addin-status").text

            templates = driver.find_elements(By.CSS_SELECTOR, "#templates a")
            assert {a.text for a in templates} == {p.name for p in (REPO / "workbook_templates").glob("*.xlsx")}
        finally:
            driver.quit()
