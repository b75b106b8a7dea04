"""The add-in's config sheet, the preconfigured copy for the service, its download zip, `addin build` and the checks of
`addin status`.

No Windows here: the zip, the sheet XML and the scripts are inspected as files (the sheet also through calamine, a
reader independent of ours), the scripts' code page and line ends are checked byte by byte, and their logic statically (which
file they copy where). Running 安装.cmd/卸载.cmd and the button in Excel is the manual list in docs/addin.md.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from perfeval_xl import addin_build, addin_install
from perfeval_xl.addin_build import AddinBuildError
from perfeval_xl.cli import main
from perfeval_xl.forms import sheets_to_read
from perfeval_xl.grid import Area
from perfeval_xl.model import family_ids, load_family
from perfeval_xl.writeback import RESULTS_SHEET

ROOT = Path(__file__).resolve().parent.parent
XLAM = ROOT / "addin" / "perfeval_xl.xlam"
URL = "http://10.1.2.3:8000"
XLWINGS_KEYS = {"INTERPRETER_WIN", "INTERPRETER_MAC", "UDF MODULES", "PYTHONPATH", "CONDA PATH", "CONDA ENV",
                "USE UDF SERVER", "DEBUG UDFS", "SHOW CONSOLE", "ADD_WORKBOOK_TO_PYTHONPATH"}


def _calamine_rows(xlam: bytes | Path) -> list[list]:
    data = xlam.read_bytes() if isinstance(xlam, Path) else xlam
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names == [addin_build.CONFIG_SHEET]
    return book.get_sheet_by_name(addin_build.CONFIG_SHEET).to_python()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


# --- The config sheet of the committed add-in --------------------------------------------------------------------


def test_committed_add_in_is_in_local_mode_with_the_packages_names():
    rows = _calamine_rows(XLAM)
    settings = {key: value for key, value in rows}
    assert settings == addin_build.read_config_sheet(XLAM)
    assert settings[addin_build.KEY_SERVER] == "" and settings[addin_build.KEY_AUTH] == ""
    table_names = {load_family(f).table.get("name") for f in family_ids()} - {None}
    assert set(settings[addin_build.KEY_FORM_NAMES].split(",")) == table_names == {"绩效指标", "评分表"}
    assert settings[addin_build.KEY_RESULTS_SHEET] == RESULTS_SHEET == "校验结果"
    assert settings[addin_build.KEY_TEMPLATE].startswith("templates/") and settings[addin_build.KEY_TEMPLATE].isascii()
    # A key in the active sheet hides the user's config file, even when blank: none of xlwings' own keys is there.
    assert not XLWINGS_KEYS & set(settings)


def test_the_vba_include_rule_is_the_readers_rule():
    """SheetsToSend sends only the named sheets when the workbook defines one of PERFEVAL_FORM_NAMES, everything
    otherwise; forms.sheets_to_read makes the same decision for the file reader from the same names."""
    markers = addin_build.read_config_sheet(XLAM)[addin_build.KEY_FORM_NAMES].split(",")
    area = Area("表1", 0, 0, 0, 0)
    for marker in markers:
        assert set(sheets_to_read({marker: area}, ["表1", "说明", RESULTS_SHEET])) == {"表1", RESULTS_SHEET}
    assert sheets_to_read({"Print_Area": area}, ["表1", "说明"]) is None


# --- The preconfigured copy ----------------------------------------------------------------------------------------


def test_preconfigured_copy_changes_only_the_config_cells():
    data = addin_build.build_preconfigured_addin(URL + "/", "s3cret-Token_1")
    settings = {key: value for key, value in _calamine_rows(data)}
    assert settings[addin_build.KEY_SERVER] == URL  # the trailing slash goes: the VBA appends /api/v1/xlwings/…
    assert settings[addin_build.KEY_AUTH] == "s3cret-Token_1"
    assert addin_build.read_config_sheet(data) == settings
    ours, base = _parts(data), _parts(XLAM.read_bytes())
    assert list(ours) == list(base)
    changed = {name for name in base if ours[name] != base[name]}
    assert changed == {"xl/worksheets/sheet1.xml"}
    assert ours["xl/vbaProject.bin"] == base["xl/vbaProject.bin"]
    without_token = addin_build.build_preconfigured_addin("https://pe.czj.example.gov.cn")
    assert addin_build.read_config_sheet(without_token)[addin_build.KEY_AUTH] == ""


def test_token_with_xml_characters_reads_back():
    token = "a&b<c>'d"  # & < > must be escaped in the sheet XML (double quotes are refused, see below)
    data = addin_build.build_preconfigured_addin(URL, token)
    assert {k: v for k, v in _calamine_rows(data)}[addin_build.KEY_AUTH] == token


@pytest.mark.parametrize("url, fragment", [
    ("", "没有给出服务地址"),
    ("ftp://10.1.2.3", "http:// 或 https://"),
    ("10.1.2.3:8000", "http:// 或 https://"),
    ("javascript:alert(1)", "http:// 或 https://"),
    ("http://", "缺少服务器名"),
    ("http://10.1.2.3:99999", "端口"),
    ("http://user:pw@10.1.2.3", "用户名或密码"),
    ("http://10.1.2.3/?x=1", "? 或 #"),
    ("http://10.1.2.3/a b", "空格"),
    ("http://绩效.example", "非英文字符"),
    ("http://10.1.2.3/%41", "百分号"),
])
def test_bad_server_addresses_are_refused_in_chinese(url, fragment):
    with pytest.raises(AddinBuildError, match=re.escape(fragment)):
        addin_build.build_preconfigured_addin(url)


@pytest.mark.parametrize("token", ["with space", 'quo"te', "per%cent%", "中文", "x" * 513])
def test_bad_tokens_are_refused(token):
    with pytest.raises(AddinBuildError, match="访问令牌"):
        addin_build.build_preconfigured_addin(URL, token)


def test_good_addresses_are_kept():
    for url in ("http://10.1.2.3:8000", "https://pe.example.gov.cn", "http://srv/perfeval", "HTTP://Srv:80/"):
        assert addin_build.validate_server_url(f"  {url} ") == url.rstrip("/")


# --- The download --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def download() -> dict[str, bytes]:
    data = addin_build.build_addin_download(URL, "tok-123")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["perfeval_xl.xlam", "安装.cmd", "卸载.cmd", "说明.txt"]
        for info in infos:
            # Non-ASCII names carry the UTF-8 flag, which Windows' "Extract all" honours.
            assert bool(info.flag_bits & 0x800) == (not info.filename.isascii())
        return {i.filename: zf.read(i) for i in infos}


def test_download_holds_the_preconfigured_add_in(download):
    assert download["perfeval_xl.xlam"] == addin_build.build_preconfigured_addin(URL, "tok-123")


@pytest.mark.parametrize("name", ["安装.cmd", "卸载.cmd"])
def test_scripts_are_crlf_gbk_with_ascii_commands(download, name):
    data = download[name]
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only: cmd.exe misreads labels after bare LF
    assert data.endswith(b"\r\n")
    text = data.decode("gbk")  # code page 936: what cmd.exe uses on Simplified-Chinese Windows
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GBK, not UTF-8 (which would need chcp 65001)
    assert "chcp" not in text
    for line in text.split("\r\n"):
        if line.isascii():
            continue
        # Chinese only in messages: on a Windows with another code page the commands still run.
        command, _, message = line.partition("echo ")
        assert command.isascii() and message, line
        assert not re.search(r"[&|<>^()]", message), line  # nothing cmd would parse inside a message
    for ch in {c for c in text if not c.isascii()}:
        # No GBK trail byte that cmd.exe could take for a special character.
        assert not set(ch.encode("gbk")[1:]) & set(b'\\|^<>&%()"!'), ch
    text = text.replace("\r\n", "\n")
    labels = set(re.findall(r"^:(\w+)$", text, re.M))
    assert set(re.findall(r"goto (\w+)", text)) <= labels
    assert text.rstrip().endswith("pause")  # the window stays open so the clerk can read the result
    assert not re.search(r"\b(runas|reg |HKLM|ProgramFiles|setx)\b", text, re.I)  # no admin rights, no registry


def test_install_copies_into_xlstart_and_uninstall_removes_the_same_file(download):
    install, uninstall = (download[n].decode("gbk").replace("\r\n", "\n") for n in ("安装.cmd", "卸载.cmd"))
    for text in (install, uninstall):
        assert 'set "ADDIN=perfeval_xl.xlam"' in text
        assert 'set "XLSTART=%APPDATA%\\Microsoft\\Excel\\XLSTART"' in text
    assert 'set "SOURCE=%~dp0%ADDIN%"' in install
    assert 'copy /Y "%SOURCE%" "%XLSTART%\\%ADDIN%"' in install
    assert "Unblock-File -LiteralPath ($env:XLSTART + '\\' + $env:ADDIN)" in install
    assert re.findall(r"^(?:copy|del|mkdir|move|rmdir|rd)\b.*$", uninstall, re.M) == [
        'del /F "%XLSTART%\\%ADDIN%" >nul 2>&1']
    # Started from inside the zip (only the script extracted), the installer says to extract first.
    assert re.search(r'if not exist "%SOURCE%" goto no_source', install)
    assert "全部解压" in install.split(":no_source")[1]


def test_readme_explains_the_download_block_and_trust_center(download):
    data = download["说明.txt"]
    assert data.startswith(b"\xef\xbb\xbf") and b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("utf-8-sig")
    for needed in (URL, "解除锁定", "Unblock-File", "信任中心", "XLSTART", "安装.cmd", "卸载.cmd", "不需要安装 Python"):
        assert needed in text, needed
    assert "tok-123" not in text


# --- perfeval-xl addin build ------------------------------------------------------------------------------------------


def test_cli_builds_an_add_in_and_a_download(tmp_path, capsys):
    assert main(["addin", "build", "--server", URL, "--token", "t0k", "-o", str(tmp_path / "out" / "pe.xlam")]) == 0
    assert addin_build.read_config_sheet(tmp_path / "out" / "pe.xlam")[addin_build.KEY_SERVER] == URL
    assert "已生成加载项" in capsys.readouterr().out
    assert main(["addin", "build", "--server", URL, "-o", str(tmp_path / "pe.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "pe.zip") as zf:
        assert "安装.cmd" in zf.namelist()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["pe.xlam", "pe.zip"]  # no .part left


def test_cli_refuses_bad_input_in_chinese(tmp_path, capsys):
    assert main(["addin", "build", "--server", "ftp://x", "-o", str(tmp_path / "a.xlam")]) == 2
    assert "http:// 或 https://" in capsys.readouterr().err
    assert main(["addin", "build", "--server", URL, "-o", str(tmp_path / "a.txt")]) == 2
    assert ".xlam" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


# --- The config file: our writer and `addin status` -------------------------------------------------------------------


@pytest.fixture
def dirs(tmp_path):
    return {"xlstart_dir": tmp_path / "XLSTART", "config_dir": tmp_path / "home" / ".perfeval_xl"}


def _conf(dirs) -> Path:
    return dirs["config_dir"] / "perfeval_xl.conf"


def _problems(dirs) -> list[str]:
    return [line for line in addin_install.status(**dirs) if line.startswith("问题：")]


def test_what_install_writes_passes_the_check(dirs):
    addin_install.install(XLAM, **dirs, interpreter=sys.executable)
    lines = addin_install.status(**dirs)
    assert "    模式：本机 Python" in lines
    assert _problems(dirs) == []
    assert main(["addin", "status", "--xlstart-dir", str(dirs["xlstart_dir"]),
                 "--config-dir", str(dirs["config_dir"])]) == 0


def test_chinese_interpreter_path_in_the_ansi_code_page_passes(dirs, tmp_path, monkeypatch):
    python = tmp_path / "张三" / "python.exe"
    python.parent.mkdir()
    python.write_bytes(b"MZ")
    monkeypatch.setattr(addin_install, "_config_encoding", lambda: "gbk")  # Chinese Windows' ANSI code page
    addin_install.install(XLAM, **dirs, interpreter=str(python))
    assert _conf(dirs).read_bytes().startswith(f'"INTERPRETER_WIN","{python}"'.encode("gbk"))
    assert addin_install.check_config_file(_conf(dirs)) == []


def _write_conf(dirs, data: bytes) -> None:
    _conf(dirs).parent.mkdir(parents=True, exist_ok=True)
    _conf(dirs).write_bytes(data)


GOOD = f'"INTERPRETER_WIN","{sys.executable}"\r\n"UDF MODULES","perfeval_xl.udfs"\r\n'.encode()


@pytest.mark.parametrize("data, fragment", [
    (GOOD + b"\r\n", "第 3 行是空行：它在文件末尾，Excel 读配置时会出错（运行时错误 62）"),
    (GOOD.replace(b"\r\n", b"\r\n\r\n", 1), "第 2 行是空行：它在文件中间"),
    (GOOD + b"  \r\n", "第 3 行是空行"),
    (b"\xef\xbb\xbf" + GOOD, "BOM"),
    (GOOD.decode().encode("utf-16"), "UTF-16"),
    (GOOD + b'"SHOW CONSOLE"\r\n', '第 3 行不是 "键","值" 的形式'),
    (GOOD + b'"A","B","C"\r\n', "第 3 行不是"),
    (GOOD + b'"interpreter_win","C:\\\\other\\\\python.exe"\r\n', "第 1 行已经出现，Excel 只用第一处"),
    (b'"UDF MODULES","perfeval_xl.udfs"\r\n', "没有 INTERPRETER_WIN"),
    (b'"INTERPRETER_WIN","C:\\\\gone\\\\python.exe"\r\n', "指向的 Python 不存在"),
    (GOOD + b'"PYTHONPATH","/no/such/folder"\r\n', "PYTHONPATH 中的文件夹不存在"),
])
def test_status_names_what_breaks_the_config_file(dirs, data, fragment):
    _write_conf(dirs, data)
    problems = _problems(dirs)
    assert problems and fragment in problems[0], problems
    assert str(_conf(dirs)) in problems[0]
    assert main(["addin", "status", "--xlstart-dir", str(dirs["xlstart_dir"]),
                 "--config-dir", str(dirs["config_dir"])]) == 1


def test_utf8_chinese_is_caught_where_the_code_page_is_not_utf8(dirs, monkeypatch):
    _write_conf(dirs, '"INTERPRETER_WIN","C:\\Users\\张三\\python.exe"\r\n'.encode("utf-8"))
    monkeypatch.setattr(addin_install, "_config_encoding", lambda: "gbk")
    problems = _problems(dirs)
    assert "按 UTF-8 保存" in problems[0] and "乱码" in problems[0]


def test_environment_variables_are_expanded_like_xlwings(dirs, monkeypatch, tmp_path):
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / "python.exe").write_bytes(b"MZ")
    monkeypatch.setenv("PE_TEST_HOME", str(tmp_path))
    _write_conf(dirs, b'"INTERPRETER_WIN","%PE_TEST_HOME%/py/python.exe"\r\n')
    assert addin_install.check_config_file(_conf(dirs)) == []


def test_reinstall_repairs_a_broken_file(dirs):
    _write_conf(dirs, b'\r\n"SHOW CONSOLE","True"\r\n\r\n"broken line\r\n"INTERPRETER_WIN","C:\\\\old.exe"\r\n\r\n')
    lines = addin_install.install(XLAM, **dirs, interpreter=sys.executable)
    assert any("读不懂的 1 行" in line for line in lines)
    assert _problems(dirs) == []
    assert b'"SHOW CONSOLE","True"\r\n' in _conf(dirs).read_bytes()


def test_status_of_a_server_add_in_needs_no_python(dirs):
    dirs["xlstart_dir"].mkdir(parents=True)
    (dirs["xlstart_dir"] / "perfeval_xl.xlam").write_bytes(addin_build.build_preconfigured_addin(URL))
    lines = addin_install.status(**dirs)
    assert f"    模式：服务版，服务地址 {URL}（不使用本机 Python）" in lines
    assert _problems(dirs) == []
    _write_conf(dirs, b'"UDF MODULES","perfeval_xl.udfs"\r\n\r\n')  # no interpreter: fine; the blank line is not
    assert [p for p in _problems(dirs) if "空行" in p] and not [p for p in _problems(dirs) if "INTERPRETER" in p]


def test_status_of_a_local_add_in_without_config(dirs):
    addin_install.install(XLAM, **dirs, interpreter=sys.executable)
    _conf(dirs).unlink()
    assert any("需要这个配置文件" in p for p in _problems(dirs))
    (dirs["xlstart_dir"] / "perfeval_xl.xlam").write_bytes(b"not a zip")
    assert any("不是完整的加载项文件" in p for p in _problems(dirs))


def test_an_add_in_without_the_address_key_is_refused(tmp_path):
    """An add-in built before the service existed has no PERFEVAL_SERVER row: the copy would stay local."""
    parts = _parts(XLAM.read_bytes())
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = addin_build.write_config_sheet(sheet, [("UDF MODULES", "x")])
    old = io.BytesIO()
    with zipfile.ZipFile(old, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(AddinBuildError, match="新版加载项"):
        addin_build.build_preconfigured_addin(URL, xlam=old.getvalue())
    with pytest.raises(AddinBuildError, match="不能为空或重复"):
        addin_build.write_config_sheet(sheet, [("AUTH", "a"), ("auth", "b")])
