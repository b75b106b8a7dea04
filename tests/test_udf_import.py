"""Importing the UDFs into the add-in (xlwings' ImportPythonUDFsToAddin), as far as Linux allows.

On Windows the add-in's "import functions" runs xlwings.udfs.import_udfs("perfeval_xl.udfs", <the add-in>): it writes
a VBA wrapper module, imports it into the add-in's VBA project and registers each function's Chinese description,
category and argument descriptions with Application.MacroOptions. Here that real xlwings code runs in a subprocess with
stand-ins for what only Windows has: pywin32's modules (stubbed: xlwings.udfs imports them at the top but
import_udfs does not call them on this path) and Excel's COM objects (a recorder: VBProject.VBComponents and
Application.MacroOptions). The recorder is a mock because desktop Excel cannot run here.

What it shows: the wrapper module xlwings imports is ASCII (VBComponents.Import reads it in the ANSI code page, so
anything else would garble), every function is registered under the add-in with its Chinese texts whole (MacroOptions
cuts at 255 characters), one argument description per argument. What only Windows shows (docs/addin.md): that the
import needs a workbook open and "trust access to the VBA project object model", and that the function wizard
displays the Chinese texts.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUN_IMPORT = r'''
import json, sys, types

# pywin32 stand-ins (Windows only); import_udfs does not call them on the path taken here.
pythoncom = types.ModuleType("pythoncom")
pythoncom.CoInitialize = lambda: None
pythoncom.IID_IDispatch = None
pywintypes = types.ModuleType("pywintypes")
pywintypes.com_error = type("com_error", (Exception,), {})
win32com = types.ModuleType("win32com")
win32com_client = types.ModuleType("win32com.client")
def _no_com(*args, **kwargs):
    raise RuntimeError("COM is not available here")
win32com_client.Dispatch = _no_com
win32com.client = win32com_client
sys.modules.update({"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com,
                    "win32com.client": win32com_client})

import xlwings
import xlwings.udfs as xlwings_udfs

# On Windows xw.func/arg/ret are xlwings.udfs' decorators; elsewhere xlwings makes them no-ops.
xlwings.func, xlwings.arg, xlwings.ret = xlwings_udfs.xlfunc, xlwings_udfs.xlarg, xlwings_udfs.xlret
import perfeval_xl.udfs  # noqa: E402

recorded = {"imported": [], "removed": [], "macro_options": []}


class Components:  # xl_workbook.VBProject.VBComponents
    def __call__(self, name):
        return name

    def Remove(self, component):
        recorded["removed"].append(component)

    def Import(self, path):
        with open(path, "rb") as f:
            recorded["imported"].append(f.read().decode("latin-1"))


class Application:
    Version = "16.0"

    @staticmethod
    def MacroOptions(macro, **options):
        recorded["macro_options"].append({"macro": macro, **options})


class AddinWorkbook:  # the add-in as Excel's COM object; falsy so get_udf_module skips its COM-only sheet scan
    Name = "perfeval_xl.xlam"
    Application = Application
    VBProject = type("VBProject", (), {"VBComponents": Components()})

    def __bool__(self):
        return False


# The PRO branch reads an embedded-code map from the workbook's config sheet through COM; the add-in has none.
xlwings_udfs.__pro__ = False
xlwings_udfs.import_udfs("perfeval_xl.udfs", AddinWorkbook())
print(json.dumps(recorded, ensure_ascii=False))
'''


def _run_import() -> dict:
    env = dict(os.environ, XLWINGS_LICENSE_KEY="noncommercial")  # xlwings' __init__ imports its server module
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", RUN_IMPORT], capture_output=True, text=True, encoding="utf-8",
                          env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _udf_functions() -> dict[str, list[str]]:
    """Function name -> parameter names of every @xw.func in perfeval_xl/udfs.py, read from the source."""
    tree = ast.parse((ROOT / "perfeval_xl" / "udfs.py").read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
                "func" in ast.unparse(d) for d in node.decorator_list):
            found[node.name] = [a.arg for a in node.args.args]
    return found


def test_import_udfs_registers_every_function_with_its_chinese_texts():
    recorded = _run_import()
    functions = _udf_functions()
    assert functions and all(name.isascii() and name.isidentifier() for name in functions)

    assert recorded["removed"] == ["xlwings_udfs"]
    (module,) = recorded["imported"]
    assert module.isascii()  # imported in the ANSI code page: ASCII is the same in every one
    assert module.startswith('Attribute VB_Name = "xlwings_udfs"')
    for name, params in functions.items():
        assert f"Function {name}({', '.join(params)})" in module.replace("Optional ", "")
        assert f'XLPy.CallUDF("perfeval_xl.udfs", "{name}", ' in module
    assert "ActiveWorkbook, Application.Caller" in module  # add-in wrappers pass the calling workbook

    options = {o["macro"]: o for o in recorded["macro_options"]}
    assert set(options) == {f"'perfeval_xl.xlam'!{name}" for name in functions}
    for name, params in functions.items():
        o = options[f"'perfeval_xl.xlam'!{name}"]
        assert o["Category"] == "绩效自评"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in o["Description"]), name
        assert len(o["Description"]) < 255, name  # MacroOptions keeps 255 characters: nothing is cut
        docs = o["ArgumentDescriptions"]
        assert len(docs) == len(params), name
        assert all(doc and len(doc) < 255 for doc in docs), name
