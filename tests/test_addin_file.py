"""The built add-in (addin/perfeval_xl.xlam) as a file, and its install/uninstall.

No Excel here: the xlam is opened as a zip, the ribbon XML is parsed, and the VBA project is read back with
oletools' olevba (an implementation independent of ms-ovba, which wrote it) in strict mode. What only desktop Excel
can show — that it loads and compiles the VBA, draws the tab and runs Python — is the manual check list in
docs/addin.md.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("oletools", reason="pip install oletools==0.60.2")
import olefile  # noqa: E402
from oletools.olevba import VBA_Parser, VBA_Project, decompress_stream  # noqa: E402

from perfeval_xl import addin_install  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
XLAM = ROOT / "addin" / "perfeval_xl.xlam"
PACKAGE_INIT = ROOT / "perfeval_xl" / "__init__.py"
NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}

# The Python functions the ribbon calls (perfeval_xl/__init__.py), by button label.
ENTRIES = {"main": "校验并计分", "clear_marks": "清除标记", "new_form": "新建自评表", "open_help": "打开说明"}


def _load_build_module():
    spec = importlib.util.spec_from_file_location("build_addin", ROOT / "addin" / "build_addin.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_addin"] = module
    spec.loader.exec_module(module)
    return module


build_addin = _load_build_module()

needs_ms_ovba = pytest.mark.skipif(
    importlib.util.find_spec("ms_ovba") is None,
    reason="build dependency missing: pip install ms-ovba==0.0.1 ms_ovba_compression==1.0.1 ms_cfb==0.0.6",
)


def _cjk(text: str | None) -> bool:
    return bool(text) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- Fixtures ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parts() -> dict[str, bytes]:
    with zipfile.ZipFile(XLAM) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def ribbon(parts) -> ET.Element:
    return ET.fromstring(parts["customUI/customUI.xml"])


@pytest.fixture(scope="module")
def buttons(ribbon) -> list[ET.Element]:
    return ribbon.findall(".//ui:button", NS)


@pytest.fixture(scope="module")
def vba(parts):
    """(VBA_Project parsed strictly, {module name: source text})."""
    parser = VBA_Parser("vbaProject.bin", data=parts["xl/vbaProject.bin"])
    projects = list(parser.find_vba_projects())
    assert len(projects) == 1
    project = VBA_Project(parser.ole_file, *projects[0], relaxed=False)
    project.parse_project_stream()
    sources = {}
    for _path, _filename, code in project.parse_modules():
        sources[project.modules[-1].name] = code
    return project, sources


@pytest.fixture(scope="module")
def template_vba():
    template = build_addin.template_path()
    with zipfile.ZipFile(template) as zf:
        data = zf.read("xl/vbaProject.bin")
    parser = VBA_Parser("vbaProject.bin", data=data)
    return data, {Path(name).stem: code for _f, _s, name, code in parser.extract_macros()}


def _module_subs(source: str) -> set[str]:
    return set(re.findall(r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*control\s+As\s+IRibbonControl\s*\)", source,
                          re.M | re.I))


def _select_case_tags(source: str) -> set[str]:
    match = re.search(r"Sub OnButton\(.*?End Sub", source, re.S)
    assert match, "OnButton not found"
    case = re.search(r'^\s*Case\s+("[^\n]*")\s*$', match.group(0), re.M)
    return set(re.findall(r'"(\w+)"', case.group(1)))


# --- Ribbon XML --------------------------------------------------------------------------------------------------


# [MS-CUSTOMUI]: the Office 2007 ribbon namespace goes with the 2006 relationship type, the Office 2010 one
# (customUI14) with the 2007 type. Excel 2007 does not show a 2006 ribbon behind the 2007 type (issue #11).
RIBBON_RELATIONSHIPS = {
    "http://schemas.microsoft.com/office/2006/01/customui":
        "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",
    "http://schemas.microsoft.com/office/2009/07/customui":
        "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
}


def test_custom_ui_is_wired_into_the_package(parts):
    rels = ET.fromstring(parts["_rels/.rels"])
    targets = {r.get("Target"): r.get("Type") for r in rels}
    assert targets["customUI/customUI.xml"].endswith("/relationships/ui/extensibility")
    assert "customUI/customUI.xml" in parts


def test_ribbon_relationship_type_matches_its_namespace(parts, ribbon):
    namespace = ribbon.tag.partition("}")[0].lstrip("{")
    rels = {r.get("Target"): r.get("Type") for r in ET.fromstring(parts["_rels/.rels"])}
    assert namespace == NS["ui"]
    assert rels["customUI/customUI.xml"] == RIBBON_RELATIONSHIPS[namespace]
    assert build_addin.CUSTOM_UI_RELATIONSHIPS == RIBBON_RELATIONSHIPS


def test_build_fixes_the_templates_ribbon_relationship():
    """The xlwings template pairs the 2006 ribbon with the 2007 type; the build rewrites the type, and a 2010
    ribbon would get the 2007 type back."""
    with zipfile.ZipFile(build_addin.template_path()) as zf:
        template_rels = zf.read("_rels/.rels")
    assert b"/2007/relationships/ui/extensibility" in template_rels
    ribbon_2006 = (ROOT / "addin" / "src" / "customUI.xml").read_bytes()
    fixed = build_addin.fix_custom_ui_relationship(template_rels, ribbon_2006)
    assert b"/2006/relationships/ui/extensibility" in fixed and b"/2007/relationships" not in fixed
    ribbon_2010 = ribbon_2006.replace(b"office/2006/01/customui", b"office/2009/07/customui")
    assert build_addin.fix_custom_ui_relationship(fixed, ribbon_2010) == template_rels


def test_tab_and_main_button(ribbon, buttons):
    tabs = ribbon.findall(".//ui:tab", NS)
    assert [t.get("label") for t in tabs] == ["绩效自评"]
    main = [b for b in buttons if b.get("label") == "校验并计分"]
    assert len(main) == 1
    main = main[0]
    assert main.get("size") == "large"
    assert main.get("imageMso")
    assert _cjk(main.get("screentip")) and _cjk(main.get("supertip"))


def test_every_button_is_complete(buttons):
    assert {b.get("label") for b in buttons} == set(ENTRIES.values())
    for b in buttons:
        assert b.get("id") and b.get("imageMso") and b.get("onAction"), b.attrib
        assert _cjk(b.get("screentip")) and _cjk(b.get("supertip")), b.get("label")
        assert ENTRIES[b.get("tag")] == b.get("label")
    assert len({b.get("id") for b in buttons}) == len(buttons)


def test_committed_custom_ui_is_the_source(parts):
    assert parts["customUI/customUI.xml"] == (ROOT / "addin" / "src" / "customUI.xml").read_bytes()


# --- VBA: callbacks exist, reach Python ----------------------------------------------------------------------------


def test_every_on_action_is_a_sub_in_the_vba(ribbon, vba):
    _project, sources = vba
    for el in ribbon.iter():
        action = el.get("onAction")
        if not action:
            continue
        module, _, sub = action.partition(".")
        assert module in sources, f"onAction {action}: no VBA module {module}"
        assert sub in _module_subs(sources[module]), f"onAction {action}: no Sub {sub}(control As IRibbonControl)"


def test_every_button_tag_is_dispatched_to_python(buttons, vba):
    _project, sources = vba
    ribbon_module = sources[build_addin.RIBBON_MODULE]
    accepted = _select_case_tags(ribbon_module)
    assert {b.get("tag") for b in buttons} <= accepted
    assert accepted == set(ENTRIES)
    calls = [c.strip() for c in re.findall(r'^\s*RunPython\s+(.+)$', ribbon_module, re.M)]
    assert calls == ['"import perfeval_xl; perfeval_xl." & entry & "()"']


def test_actions_module_carries_the_subs_the_service_calls(vba):
    """The service takes fills off through Remote.bas' runMacro (Application.Run name, wb, args…): the sub must be
    in the add-in with that signature. Once branch h9-protocol is merged its CLEAR_FILL_VBA is the same text."""
    _project, sources = vba
    actions = sources[build_addin.ACTIONS_MODULE]
    assert "Public Sub PerfevalClearFill(wb As Workbook, sheetPosition As Variant, address As Variant)" in actions
    assert ".Range(CStr(address)).Interior.ColorIndex = xlColorIndexNone" in actions
    assert _lines(actions) == _lines((ROOT / "addin" / "src" / "PerfevalActions.bas").read_text("ascii"))
    if importlib.util.find_spec("perfeval_xl.workbook_edit") is not None:
        from perfeval_xl import workbook_edit

        assert workbook_edit.CLEAR_FILL_MACRO == "PerfevalClearFill"
        assert _lines(actions) == _lines(workbook_edit.CLEAR_FILL_VBA)


# --- VBA: routing between the service and local Python ------------------------------------------------------------
# Desktop Excel cannot run here, so the routing is checked on the VBA text as built into the add-in (read back with
# olevba): which routine calls what, with which arguments, in which order. What only Excel shows — the calls really
# reaching the service, the scratch workbook closing, the messages in Chinese — is the manual list in docs/addin.md.


def _proc(source: str, name: str) -> str:
    match = re.search(rf"^(?:Public |Private )?(Sub|Function) {name}\(.*?^End \1", source, re.S | re.M)
    assert match, f"no Sub/Function {name}"
    return match.group(0)


def _consts(source: str) -> dict[str, str]:
    return dict(re.findall(r'^Private Const (\w+) As String = "([^"]*)"', source, re.M))


@pytest.fixture(scope="module")
def ribbon_vba(vba) -> str:
    return vba[1][build_addin.RIBBON_MODULE]


def test_config_keys_are_the_ones_the_builder_writes(ribbon_vba):
    from perfeval_xl import addin_build

    consts = _consts(ribbon_vba)
    assert consts["KEY_SERVER"] == addin_build.KEY_SERVER
    assert consts["KEY_AUTH"] == addin_build.KEY_AUTH == "AUTH"  # the key xlwings' RunServerPython reads itself
    assert consts["KEY_FORM_NAMES"] == addin_build.KEY_FORM_NAMES
    assert consts["KEY_RESULTS_SHEET"] == addin_build.KEY_RESULTS_SHEET
    assert consts["KEY_TEMPLATE"] == addin_build.KEY_TEMPLATE
    assert consts["SERVER_ROUTE"] == "/api/v1/xlwings/"
    # The settings are read from the add-in's own sheet, by the name xlwings gives it.
    setting = _proc(ribbon_vba, "AddinSetting")
    assert 'ThisWorkbook.Worksheets(PROJECT_NAME & ".conf")' in setting
    assert "UCase$(CStr(sht.Cells(r, 1).Value)) = key" in setting and "sht.Cells(r, 2).Value" in setting


def test_button_picks_the_service_when_an_address_is_configured(ribbon_vba):
    on_button = _proc(ribbon_vba, "OnButton")
    assert re.search(r"server = ServerAddress\(\)\s+If server <> \"\" Then\s+RunOnServer entry, server\s+"
                     r"Else\s+RunLocally entry\s+End If", on_button)
    assert "AddinSetting(KEY_SERVER)" in _proc(ribbon_vba, "ServerAddress")
    # The workbook check comes before either mode, and only check/clear need a workbook.
    assert on_button.index("NeedsWorkbook(entry) And ActiveWorkbook Is Nothing") < on_button.index("ServerAddress()")
    needs = _proc(ribbon_vba, "NeedsWorkbook")
    assert 'NeedsWorkbook = (entry = "main" Or entry = "clear_marks")' in needs


def test_server_mode_posts_the_form_sheets_to_the_entry_route(ribbon_vba):
    run = _proc(ribbon_vba, "RunOnServer")
    case = re.search(r'Case "main", "clear_marks"\s+RunServerPython (.*?)\n\s+Case', run, re.S).group(1)
    assert re.sub(r"\s*_\s*\n\s*", " ", case).strip() == (
        "server & SERVER_ROUTE & entry, auth:=AddinSetting(KEY_AUTH), include:=SheetsToSend(ActiveWorkbook)")
    assert re.search(r'Case "new_form"\s+OpenFormFromServer server', run)
    assert re.search(r'Case "open_help"\s+ThisWorkbook.FollowHyperlink server & "/"', run)
    assert "RunPython" not in run.replace("RunServerPython", "")
    # A failed call (no network, service down, HTTP error raised by VBA-Web) ends in our Chinese message.
    assert run.index("On Error GoTo Failed") < run.index("RunServerPython")
    assert re.search(r"Failed:\s+MsgBox ServerFailedMessage\(\) & server", run)
    # The include list: sheets our names point to, plus the results sheet; "" (= whole workbook) otherwise.
    sheets = _proc(ribbon_vba, "SheetsToSend")
    assert "Split(AddinSetting(KEY_FORM_NAMES), \",\")" in sheets
    assert "nm.RefersToRange.Worksheet.Name" in sheets
    assert 'If Mid$(nm.Name, InStrRev(nm.Name, "!") + 1) = marker Then ours = True' in sheets  # as tests/
    # test_xlwings_protocol.py's addin_include models it: a sheet-scoped "Sheet!Name" counts by its Name
    assert 'SheetsToSend = Mid$(list & "," & AddinSetting(KEY_RESULTS_SHEET), 2)' in sheets
    new_form = _proc(ribbon_vba, "OpenFormFromServer")
    assert "request.Resource = AddinSetting(KEY_TEMPLATE)" in new_form
    assert "Workbooks.Add Template:=path" in new_form


def test_local_mode_checks_python_before_running_it(ribbon_vba, vba):
    run = _proc(ribbon_vba, "RunLocally")
    assert run.index("problem = MissingPython()") < run.index("RunPython ")
    assert re.search(r'If problem <> "" Then\s+MsgBox problem, vbExclamation, AppTitle\(\)\s+Exit Sub', run)
    # No workbook (new form, help): a scratch workbook for xlwings' RunPython, closed again afterwards.
    assert re.search(r"If ActiveWorkbook Is Nothing Then.*Set scratch = Workbooks.Add.*End If\s+On Error GoTo AfterPython"
                     r"\s+RunPython", run, re.S)
    assert "scratch.Close SaveChanges:=False" in run.split("AfterPython:")[1]
    # The check reads the interpreter as xlwings' RunPython does and tests it with the same FileExists that
    # ExecuteWindows uses before its English "Could not find Interpreter!".
    xlwings = vba[1]["xlwings"]
    run_python = _proc(xlwings, "RunPython")
    assert 'interpreter = GetConfig("INTERPRETER_WIN", "")' in run_python
    assert 'interpreter = GetConfig("INTERPRETER", "python")' in run_python
    assert 'If FileExists(PYTHON_WIN) Then' in _proc(xlwings, "ExecuteWindows")
    missing = _proc(ribbon_vba, "MissingPython")
    assert 'interpreter = GetConfig("INTERPRETER_WIN", "", source)' in missing
    assert 'If interpreter = "" Then interpreter = GetConfig("INTERPRETER", "python", source)' in missing
    assert "ElseIf Not FileExists(interpreter) Then" in missing
    assert 'If Not OnPath(interpreter & ".exe") Then' in missing
    # Without a workbook GetConfig's directory layer fails; "user" skips it.
    assert 'If ActiveWorkbook Is Nothing Then source = "user"' in missing
    assert 'If source = "" Or source = "directory" Then' in _proc(xlwings, "GetConfig")
    assert '"\\WindowsApps"' in _proc(ribbon_vba, "OnPath")


# What RibbonPerfevalXL may use besides its own and the project's names: VBA keywords, statements and functions,
# Excel's and Office's globals and types. A name outside all of these is a compile error in Excel ("Sub or Function
# not defined", "Variable not defined" under Option Explicit), which would stop every button.
VBA_BUILTINS = set("""
    Access And Application As Attribute Binary Boolean ByVal Byte Case Close Const Dim Do Each Else ElseIf End Err
    Exit Explicit False For Function GoTo If In Integer Is Loop Long Name New Next Not Nothing On Open Option Or
    Private Public Put Resume Select Set Step String Sub Then To True Variant While Write Error Kill
    CStr ChrW Environ FreeFile InStr InStrRev Left Len Mid MsgBox Replace Right Split Trim UCase Val
    vbCritical vbExclamation vbLf vbTextCompare
    ActiveWorkbook ThisWorkbook Workbooks Workbook Worksheet IRibbonControl VB_Name
""".split())


def _vba_code(source: str) -> str:
    """The source without comments and string contents."""
    lines = []
    for line in source.splitlines():
        out, quoted = "", False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            if ch == "'" and not quoted:
                break
            out += ch
        lines.append(out)
    return re.sub(r'"[^"\n]*"', '""', "\n".join(lines))


def test_ribbon_module_uses_only_names_that_exist(vba):
    """Static stand-in for Excel's compiler: every identifier in RibbonPerfevalXL is declared there (procedure,
    constant, variable, parameter, label), public in another module of the add-in, or a VBA/Excel built-in."""
    _project, sources = vba
    code = _vba_code(sources[build_addin.RIBBON_MODULE])
    own = set(re.findall(r"\b(?:Sub|Function|Const)\s+(\w+)", code))
    own |= set(re.findall(r"^(\w+):\s*$", code, re.M))  # labels
    for line in re.findall(r"^\s*Dim (.*)$", code, re.M):
        own |= set(re.findall(r"(?:^|,)\s*(\w+)(?:\(\))?\s+As\b", line))
    for params in re.findall(r"\b(?:Sub|Function)\s+\w+\(([^)]*)\)", code):
        own |= {p.split()[-3 if " As " in p else -1] for p in (x.replace("ByVal ", "").strip() for x in
                                                              params.split(",")) if p}
    others = set()
    for module, text in sources.items():
        if module == build_addin.RIBBON_MODULE:
            continue
        others.add(module)  # class modules are types
        body = _vba_code(text)
        others |= set(re.findall(r"^(?:Public[ \t]+)?(?:Function|Sub|Const|Enum)[ \t]+(\w+)", body, re.M | re.I))
    used = set(re.findall(r"(?<![.\w])([A-Za-z_]\w*)\b(?!\s*:=)", code)) - {"_"}
    unknown = used - own - others - VBA_BUILTINS
    assert unknown == set()
    # And the check can fail: a misspelt call is reported.
    misspelt = set(re.findall(r"(?<![.\w])([A-Za-z_]\w*)\b", "AddinSettings(KEY_SERVER)"))
    assert misspelt - own - others - VBA_BUILTINS == {"AddinSettings"}


def _defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_python_entry_exists(entry):
    assert PACKAGE_INIT.is_file(), (
        f"perfeval_xl/__init__.py does not exist yet; the ribbon button {ENTRIES[entry]} runs "
        f"'import perfeval_xl; perfeval_xl.{entry}()'")
    assert entry in _defined_names(PACKAGE_INIT), (
        f"perfeval_xl/__init__.py defines no {entry}(); the ribbon button {ENTRIES[entry]} runs "
        f"'import perfeval_xl; perfeval_xl.{entry}()' (no arguments)")


def test_vba_is_ascii_and_its_chinese_messages_decode(vba):
    _project, sources = vba
    source = sources[build_addin.RIBBON_MODULE]
    assert source.isascii()
    hex_codes = re.findall(r'Zh\(("[0-9A-F"\s_&\n]+")\)', source)
    decoded = []
    for chunk in hex_codes:
        digits = "".join(re.findall(r"[0-9A-F]+", chunk))
        assert len(digits) % 4 == 0
        decoded.append("".join(chr(int(digits[i:i + 4], 16)) for i in range(0, len(digits), 4)))
    assert decoded == [
        "绩效自评",
        "请先打开或新建一个工作簿，再点此按钮。如果文件处于“受保护的视图”，请先点“启用编辑”。",
        "找不到 Python：本机还没有为“绩效自评”配置 Python 环境。",
        "找不到 Python：配置的 Python 解释器不存在：",
        "请关闭 Excel，双击安装文件夹里的“安装.cmd”（重新）安装，再打开 Excel。如果单位提供了绩效自评服务，"
        "也可以向管理员索取服务版加载项，它不需要 Python。",
        "调用绩效自评服务时出错：",
        "如果是连接问题，请检查网络，或请管理员确认服务已启动。技术信息：",
        "绩效自评服务没有提供模板：",
    ]
    # The install script the message names is the one the service's download and `perfeval-xl bundle` ship.
    assert "安装.cmd" in decoded[4]


# --- VBA: the project is complete -----------------------------------------------------------------------------------


def test_vba_project_modules_and_attributes(vba):
    project, sources = vba
    assert project.projectname == build_addin.VBA_PROJECT_NAME
    assert project.codepage == 1252
    kinds = {m.name: m.type for m in project.modules}
    # 0x21 procedural module, 0x22 document or class module (MS-OVBA 2.3.4.2.3.2.8)
    assert kinds == {"ThisWorkbook": 0x22, "Dictionary": 0x22, build_addin.RIBBON_MODULE: 0x21,
                     "Sheet2": 0x22, "xlwings": 0x21, "Remote": 0x21, "WebHelpers": 0x21,
                     "IWebAuthenticator": 0x22, "WebClient": 0x22, "WebRequest": 0x22, "WebResponse": 0x22,
                     build_addin.ACTIONS_MODULE: 0x21}
    for name, source in sources.items():
        assert source.splitlines()[0] == f'Attribute VB_Name = "{name}"'
        assert source.isascii(), name
    assert [m.name for m in project.modules if m.docstring] == ["Dictionary"]


def test_template_modules_are_carried_over(vba, template_vba):
    _project, sources = vba
    _data, template = template_vba
    for name in ("ThisWorkbook", "Sheet2", "Dictionary"):
        assert sources[name] == template[name]
    old = 'Public Const PROJECT_NAME As String = "myaddin"'
    new = f'Public Const PROJECT_NAME As String = "{addin_install.CONFIG_NAME}"'
    assert template["xlwings"].count(old) == 1
    assert sources["xlwings"] == template["xlwings"].replace(old, new)


def test_xlwings_vba_matches_the_python_package():
    """The add-in's xlwings module is the one this xlwings version ships as text (same version, same DLL names)."""
    import xlwings

    assert xlwings.__version__ == build_addin.EXPECTED_XLWINGS_VERSION
    shipped = (Path(xlwings.__file__).parent / "xlwings_custom_addin.bas").read_bytes().replace(b"\r\n", b"\n")
    with zipfile.ZipFile(XLAM) as zf:
        ole = olefile.OleFileIO(io.BytesIO(zf.read("xl/vbaProject.bin")))
    ours = bytes(decompress_stream(bytearray(ole.openstream("VBA/xlwings").read())))
    ours = ours.replace(b'PROJECT_NAME As String = "perfeval_xl"', b'PROJECT_NAME As String = "myaddin"')
    assert ours.replace(b"\r\n", b"\n") == shipped
    assert f'XLWINGS_VERSION As String = "{xlwings.__version__}"'.encode() in ours


SERVER_CLIENT = {"Remote": "Remote.bas", "WebHelpers": "WebHelpers.bas", "IWebAuthenticator": "IWebAuthenticator.cls",
                 "WebClient": "WebClient.cls", "WebRequest": "WebRequest.cls", "WebResponse": "WebResponse.cls"}


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").split("\n")


def test_server_client_is_xlwings_own_unchanged(vba):
    """Remote.bas and VBA-Web as the pinned xlwings package ships them in addin/: the standard modules line for line;
    the classes line for line below the header the VBA editor rewrites on import (VERSION/BEGIN/END dropped; VB_Base,
    VB_TemplateDerived and VB_Customizable added). Their licence headers are kept."""
    _project, sources = vba
    editor_lines = ['Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"',
                    "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    for name, filename in SERVER_CLIENT.items():
        shipped = _lines((build_addin.xlwings_addin_dir() / filename).read_text("ascii"))
        stored = _lines(sources[name])
        if filename.endswith(".cls"):
            assert shipped[:4] == ["VERSION 1.0 CLASS", "BEGIN", "  MultiUse = -1  'True", "END"]
            shipped = shipped[4:]
            assert [line for line in stored if line in editor_lines] == editor_lines
            stored = [line for line in stored if line not in editor_lines]
        assert stored == shipped, name
        if name != "Remote":
            assert re.search(r"@license MIT|License: MIT", sources[name]), name


def test_class_import_is_what_the_vba_editor_stored_for_dictionary(template_vba):
    """The template's Dictionary class is xlwings' addin/Dictionary.cls as the VBA editor stored it; our conversion of
    the same file gives the same text, except the editor's project-wide case of the identifier Err."""
    _data, template = template_vba
    converted = build_addin.class_module_source(
        (build_addin.xlwings_addin_dir() / "Dictionary.cls").read_bytes(), "Dictionary").decode("ascii")
    ours, theirs = _lines(converted), _lines(template["Dictionary"])
    assert len(ours) == len(theirs)
    differing = [(a, b) for a, b in zip(ours, theirs) if a != b]
    assert differing and all(a.replace("Err.", "err.") == b for a, b in differing)


def test_everything_remote_calls_is_in_the_project(vba):
    """RunServerPython's helpers from xlwings' other add-in modules (Config, Utils, Main) are in our xlwings module
    (xlwings_custom_addin.bas bundles them), VBA-Web's in WebHelpers; and nothing needs a new reference: WinHttp,
    MSXML and Scripting are created late with CreateObject."""
    _project, sources = vba
    defined = {}
    for module, text in sources.items():
        for name in re.findall(r"^(?:Public\s+|Private\s+)?(?:Function|Sub|Const|Enum)\s+(\w+)", text, re.M | re.I):
            defined.setdefault(name.lower(), module)
    needed = {"GetConfig": "xlwings", "XLWINGS_VERSION": "xlwings", "CreateGUID": "xlwings", "GetMacDir": "xlwings",
              "RunPython": "xlwings", "RunFrozenPython": "xlwings", "IsInArray": "Remote", "ParseIso": "WebHelpers",
              "ConvertToUtc": "WebHelpers", "Base64Decode": "WebHelpers", "WebMethod": "WebHelpers",
              "WebFormat": "WebHelpers", "WebStatusCode": "WebHelpers"}
    for name, module in needed.items():
        assert re.search(rf"\b{name}\b", sources["Remote"] + sources[build_addin.RIBBON_MODULE]), name
        assert defined.get(name.lower()) == module, name
    client = "".join(sources[n] for n in SERVER_CLIENT)
    assert 'CreateObject("WinHttp.WinHttpRequest.5.1")' in client
    assert not re.search(r"As\s+(New\s+)?(WinHttp|MSXML2|Scripting)\.", client)


def _dir_records(vba_bin: bytes) -> list[tuple[int, bytes]]:
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    data = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    records, pos = [], 0
    while pos < len(data):
        rec_id, size = struct.unpack_from("<HI", data, pos)
        size = 6 if rec_id == 0x0009 else size
        records.append((rec_id, data[pos + 6:pos + 6 + size]))
        pos += 6 + size
    return records


def _module_groups(records: list[tuple[int, bytes]]) -> tuple[list, list[list]]:
    """(records up to PROJECTMODULES, [records of each module, from its MODULENAME]); the dir stream's terminator
    (0x0010) is checked and dropped."""
    assert records[-1] == (0x0010, b"")
    head_end = next(i for i, (rid, _v) in enumerate(records) if rid == 0x0019)
    groups = []
    for rid, value in records[head_end:-1]:
        if rid == 0x0019:
            groups.append([])
        groups[-1].append((rid, value))
    return records[:head_end], groups


def test_dir_stream_differs_from_the_template_only_where_intended(parts, template_vba):
    """References (MSForms, Office — IRibbonControl needs Office), SysKind, LCIDs, code page and version are the
    template's; only the project name, the ribbon module's name, the module count, and what MS-OVBA says a writer
    must put (cookies 0xFFFF, source-only modules at offset 0) change. xlwings' server client adds six modules after
    the template's five, and our PerfevalActions one more; no reference: VBA-Web binds WinHttp late (CreateObject)."""
    (ours_head, ours_modules), (their_head, their_modules) = (
        _module_groups(_dir_records(parts["xl/vbaProject.bin"])), _module_groups(_dir_records(template_vba[0])))
    assert len(ours_head) == len(their_head)
    for (rid, ours_value), (tid, their_value) in zip(ours_head, their_head):
        assert rid == tid
        if rid == 0x0004:
            assert ours_value == build_addin.VBA_PROJECT_NAME.encode()
        elif rid == 0x000F:  # PROJECTMODULES: the count
            assert struct.unpack("<H", ours_value)[0] == len(ours_modules) == len(their_modules) + 7
        elif rid == 0x0013:
            assert ours_value == b"\xff\xff"
        else:
            assert ours_value == their_value, hex(rid)

    ribbon_names = {b"RibbonMyAddin": build_addin.RIBBON_MODULE.encode(),
                    "RibbonMyAddin".encode("utf-16-le"): build_addin.RIBBON_MODULE.encode("utf-16-le")}
    for ours_group, their_group in zip(ours_modules, their_modules):
        assert [r for r, _ in ours_group] == [r for r, _ in their_group]
        for (rid, ours_value), (_tid, their_value) in zip(ours_group, their_group):
            if rid == 0x002C:
                assert ours_value == b"\xff\xff"
            elif rid == 0x0031:
                assert ours_value == b"\x00\x00\x00\x00"
            elif their_value in ribbon_names:
                assert ours_value == ribbon_names[their_value]
            else:
                assert ours_value == their_value, hex(rid)
    added = {dict(g)[0x0019].decode(): 0x0022 if 0x0022 in dict(g) else 0x0021 for g in ours_modules[5:]}
    assert added == {"Remote": 0x0021, "WebHelpers": 0x0021, "IWebAuthenticator": 0x0022, "WebClient": 0x0022,
                     "WebRequest": 0x0022, "WebResponse": 0x0022, build_addin.ACTIONS_MODULE: 0x0021}
    libs = b"".join(v for r, v in ours_head if r in (0x0033, 0x000D))
    assert b"{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}" in libs  # Microsoft Office 16.0 Object Library


def test_libreoffice_imports_the_same_vba_project(parts, tmp_path):
    """A third, independent reader: LibreOffice's VBA import (its own CFB and MS-OVBA code, in C++) finds the library
    PerfevalXL with all twelve modules, Dictionary and VBA-Web's four classes as class modules. LibreOffice will not
    open an add-in, so the package is relabelled as a macro-enabled workbook first (content type only; the parts are
    unchanged)."""
    import subprocess

    from lo import soffice

    exe = soffice()
    src = tmp_path / "perfeval_xl_as_workbook.xlsm"
    with zipfile.ZipFile(src, "w") as zf:
        for name, data in parts.items():
            if name == "[Content_Types].xml":
                data = data.replace(b"ms-excel.addin.macroEnabled.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
            zf.writestr(name, data)
    profile = tmp_path / "profile"
    subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "ods",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=180)
    with zipfile.ZipFile(tmp_path / "perfeval_xl_as_workbook.ods") as zf:
        prefix = f"Basic/{build_addin.VBA_PROJECT_NAME}/"
        modules = {n[len(prefix):-4]: zf.read(n).decode("utf-8") for n in zf.namelist()
                   if n.startswith(prefix) and n != prefix + "script-lb.xml"}
    assert set(modules) == {"ThisWorkbook", "Dictionary", build_addin.RIBBON_MODULE, "Sheet2", "xlwings", "Remote",
                            "WebHelpers", "IWebAuthenticator", "WebClient", "WebRequest", "WebResponse",
                            build_addin.ACTIONS_MODULE}
    for name in ("Dictionary", "IWebAuthenticator", "WebClient", "WebRequest", "WebResponse"):
        assert 'script:moduleType="class"' in modules[name], name
    assert "Function RunServerPython(" in modules["Remote"]
    assert "Public Sub OnButton(control As IRibbonControl)" in modules[build_addin.RIBBON_MODULE]
    assert "PROJECT_NAME As String = &quot;perfeval_xl&quot;" in modules["xlwings"]
    assert "Function RunPython(PythonCommand As String)" in modules["xlwings"]


def test_vba_container_is_well_formed(parts):
    data = parts["xl/vbaProject.bin"]
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_POTENTIAL)
    entries = ole.direntries
    # Siblings sorted as MS-CFB 2.6.4 requires (name length, then upper-case), no red node with a red child.
    for entry in entries:
        if entry is None or entry.entry_type not in (olefile.STGTY_ROOT, olefile.STGTY_STORAGE):
            continue
        order = []

        def walk(sid):
            if sid == olefile.NOSTREAM:
                return
            node = entries[sid]
            for child in (node.sid_left, node.sid_right):
                if node.color == 0 and child != olefile.NOSTREAM:
                    assert entries[child].color == 1
            walk(node.sid_left)
            order.append((len(node.name), node.name.upper()))
            walk(node.sid_right)

        walk(entry.sid_child)
        assert order == sorted(order) and len(set(order)) == len(order)
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("cc61ffff000300")


def test_config_sheet_follows_the_project_name(parts, vba):
    _project, sources = vba
    assert f'PROJECT_NAME As String = "{addin_install.CONFIG_NAME}"' in sources["xlwings"]
    workbook = ET.fromstring(parts["xl/workbook.xml"])
    names = [s.get("name") for s in workbook.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet")]
    # Active (no leading "_"): xlwings' GetConfig reads PROJECT_NAME & ".conf" of ThisWorkbook, and so does our
    # button for the service address. The xlwings settings stay in %USERPROFILE%\.perfeval_xl\perfeval_xl.conf.
    assert names == [f"{addin_install.CONFIG_NAME}.conf"]
    assert "SheetExists(ThisWorkbook, PROJECT_NAME & \".conf\")" in sources["xlwings"]


# --- Reproducible build ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory) -> bytes:
    return build_addin.build(tmp_path_factory.mktemp("build") / "a.xlam").read_bytes()


@needs_ms_ovba
def test_build_is_deterministic(fresh_build, tmp_path):
    again = build_addin.build(tmp_path / "b.xlam").read_bytes()
    assert again == fresh_build


@needs_ms_ovba
def test_committed_xlam_is_a_fresh_build(fresh_build):
    assert XLAM.read_bytes() == fresh_build, "addin/perfeval_xl.xlam is stale: run python addin/build_addin.py"


def test_zip_entries_are_sorted_and_dated(parts):
    with zipfile.ZipFile(XLAM) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {build_addin.ZIP_DATE}


@needs_ms_ovba
def test_our_compressor_round_trips_and_ms_ovba_uses_it():
    """ms_ovba_compression's own compressor corrupts long matches (and takes minutes for VBA-Web); ours, which ms-ovba
    calls inside _ms_ovba_patched, gives containers that oletools' decompressor and ours read back exactly."""
    import random

    from ms_ovba_compression.ms_ovba import MsOvba

    text = bytes(range(256)) * 12  # a 2816-byte match at offset 256, longer than a copy token can say
    assert bytes(decompress_stream(bytearray(MsOvba().compress(text)))) != text
    noise = random.Random(7)
    samples = [text, b"", b"a", b"abc" * 5000, noise.randbytes(3000), noise.randbytes(4096), noise.randbytes(5000),
               (build_addin.xlwings_addin_dir() / "WebHelpers.bas").read_bytes()]
    for sample in samples:
        packed = build_addin.compress(sample)
        assert bytes(decompress_stream(bytearray(packed))) == sample
        assert build_addin.decompress(packed) == sample
    assert len(build_addin.compress(samples[-1])) < len(samples[-1]) // 2
    with build_addin._ms_ovba_patched():
        assert MsOvba().compress(text) == build_addin.compress(text)


# --- install / uninstall ---------------------------------------------------------------------------------------------


@pytest.fixture
def dirs(tmp_path):
    return {"xlstart_dir": tmp_path / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART",
            "config_dir": tmp_path / "home" / ".perfeval_xl"}


def _conf_lines(dirs) -> list[str]:
    return (dirs["config_dir"] / "perfeval_xl.conf").read_bytes().decode("utf-8").split("\r\n")


def test_install_puts_files_where_excel_looks(dirs):
    lines = addin_install.install(XLAM, **dirs, interpreter=r"C:\Python311\python.exe")
    target = dirs["xlstart_dir"] / "perfeval_xl.xlam"
    assert target.read_bytes() == XLAM.read_bytes()
    assert _conf_lines(dirs) == ['"INTERPRETER_WIN","C:\\Python311\\python.exe"', '"UDF MODULES","perfeval_xl.udfs"',
                                 '"ADD_WORKBOOK_TO_PYTHONPATH","False"', ""]
    assert any("绩效自评" in line for line in lines)
    assert all(_cjk(line) for line in lines if not line.startswith("    "))


def test_install_defaults_to_this_python_and_the_built_xlam(dirs):
    addin_install.install(**dirs)
    assert _conf_lines(dirs)[0] == f'"INTERPRETER_WIN","{sys.executable}"'
    assert (dirs["xlstart_dir"] / "perfeval_xl.xlam").read_bytes() == XLAM.read_bytes()


def test_config_is_written_in_the_ansi_code_page(dirs, monkeypatch):
    """VBA's Input # decodes the file with the Windows ANSI code page ("mbcs" in Python; GBK on Chinese Windows)."""
    chinese_user = r"C:\Users\张三\AppData\Local\Programs\Python\Python311\python.exe"
    monkeypatch.setattr(addin_install, "_config_encoding", lambda: "gbk")
    addin_install.install(XLAM, **dirs, interpreter=chinese_user)
    data = (dirs["config_dir"] / "perfeval_xl.conf").read_bytes()
    assert data.startswith(f'"INTERPRETER_WIN","{chinese_user}"\r\n'.encode("gbk"))
    monkeypatch.setattr(addin_install, "_config_encoding", lambda: "cp1252")  # e.g. English Windows
    with pytest.raises(addin_install.AddinInstallError, match="代码页"):
        addin_install.install(XLAM, **dirs, interpreter=chinese_user)


def test_dry_run_changes_nothing(dirs, tmp_path):
    lines = addin_install.install(XLAM, dry_run=True, **dirs)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    assert "演练" in lines[0]
    addin_install.install(XLAM, **dirs)
    lines = addin_install.uninstall(dry_run=True, **dirs)
    assert (dirs["xlstart_dir"] / "perfeval_xl.xlam").is_file()
    assert (dirs["config_dir"] / "perfeval_xl.conf").is_file()
    assert "演练" in lines[0]


def test_reinstall_keeps_the_users_other_settings(dirs):
    dirs["config_dir"].mkdir(parents=True)
    (dirs["config_dir"] / "perfeval_xl.conf").write_bytes(
        b'"Interpreter_Win","C:\\old\\python.exe"\r\n"SHOW CONSOLE","True"\r\n')
    lines = addin_install.install(XLAM, **dirs, interpreter=r"C:\new\python.exe")
    conf = _conf_lines(dirs)
    assert conf[0] == '"INTERPRETER_WIN","C:\\new\\python.exe"'
    assert '"SHOW CONSOLE","True"' in conf
    assert not any("old" in line for line in conf)
    assert any("1 项" in line for line in lines)


def test_uninstall_removes_only_what_install_put_there(dirs):
    dirs["xlstart_dir"].mkdir(parents=True)
    other_addin = dirs["xlstart_dir"] / "other.xlam"
    other_addin.write_bytes(b"x")
    addin_install.install(XLAM, **dirs)
    addin_install.uninstall(**dirs)
    assert not (dirs["xlstart_dir"] / "perfeval_xl.xlam").exists()
    assert not dirs["config_dir"].exists()
    assert other_addin.read_bytes() == b"x" and dirs["xlstart_dir"].is_dir()


def test_uninstall_keeps_a_config_folder_with_other_files(dirs):
    addin_install.install(XLAM, **dirs)
    (dirs["config_dir"] / "notes.txt").write_text("keep")
    addin_install.uninstall(**dirs)
    assert not (dirs["config_dir"] / "perfeval_xl.conf").exists()
    assert (dirs["config_dir"] / "notes.txt").read_text() == "keep"


def test_uninstall_when_nothing_is_installed(dirs):
    lines = addin_install.uninstall(**dirs)
    assert all("不存在" in line for line in lines[:2])


def test_without_windows_folders_the_error_is_clear(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(addin_install.AddinInstallError, match="不是 Windows.*--xlstart-dir"):
        addin_install.install(XLAM)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delenv("APPDATA", raising=False)
    with pytest.raises(addin_install.AddinInstallError, match="APPDATA"):
        addin_install.install(XLAM)


def test_windows_default_folders(monkeypatch, tmp_path):
    (tmp_path / "Roaming").mkdir()
    (tmp_path / "me").mkdir()
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "me"))
    assert addin_install.default_xlstart_dir() == tmp_path / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    assert addin_install.default_config_dir() == tmp_path / "me" / ".perfeval_xl"


def test_config_file_path_is_the_one_the_vba_reads(vba):
    """GetConfigFilePath = USERPROFILE\\.PROJECT_NAME\\PROJECT_NAME.conf; keys looked up by these names."""
    _project, sources = vba
    xlwings_vba = sources["xlwings"]
    assert ('GetConfigFilePath = Environ("USERPROFILE") & "\\." & PROJECT_NAME & "\\" & PROJECT_NAME & ".conf"'
            in xlwings_vba)
    assert addin_install.CONFIG_DIRNAME == "." + addin_install.CONFIG_NAME
    assert addin_install.CONFIG_FILENAME == addin_install.CONFIG_NAME + ".conf"
    for key, _value in addin_install.config_entries("python.exe"):
        assert f'GetConfig("{key}"' in xlwings_vba, key


def test_module_does_not_import_xlwings():
    tree = ast.parse((ROOT / "perfeval_xl" / "addin_install.py").read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(name.split(".")[0] == "xlwings" for name in imported)


def test_cli_subcommand(dirs, capsys):
    from perfeval_xl.cli import main

    args = ["--xlstart-dir", str(dirs["xlstart_dir"]), "--config-dir", str(dirs["config_dir"])]
    assert main(["addin", "install", "--xlam", str(XLAM), *args]) == 0
    assert (dirs["xlstart_dir"] / "perfeval_xl.xlam").is_file()
    assert main(["addin", "status", *args]) == 0
    assert "已安装" in capsys.readouterr().out
    assert main(["addin", "uninstall", *args]) == 0
    assert not (dirs["xlstart_dir"] / "perfeval_xl.xlam").exists()


def test_package_carries_the_same_add_in():
    """`perfeval-xl addin install` from a wheel uses perfeval_xl/data/perfeval_xl.xlam: it must be this build."""
    assert (ROOT / "perfeval_xl" / "data" / "perfeval_xl.xlam").read_bytes() == XLAM.read_bytes()
