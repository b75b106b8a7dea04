Attribute VB_Name = "PerfevalActions"
' Actions the perfeval-xl service sends that xlwings' Remote.bas has no func for. The service calls them through
' Remote.bas' runMacro: Application.Run <name>, wb, <args...>. Source: perfeval_xl/workbook_edit.py (CLEAR_FILL_VBA).
Option Explicit

' Take the fill off cells (as xlwings does on desktop for color = None), keeping borders, number formats and fonts.
Public Sub PerfevalClearFill(wb As Workbook, sheetPosition As Variant, address As Variant)
    wb.Worksheets(CLng(sheetPosition) + 1).Range(CStr(address)).Interior.ColorIndex = xlColorIndexNone
End Sub
