Attribute VB_Name = "RibbonPerfevalXL"
' Ribbon callbacks of the perfeval_xl add-in.
'
' Source of truth: addin/src/RibbonPerfevalXL.bas in the perfeval-xl repository.
' addin/build_addin.py compiles it into xl/vbaProject.bin; changes made in the
' VBA editor are lost at the next build.
'
' Keep this file ASCII: the VBA project uses code page 1252. Chinese text is
' written as UTF-16 hex codes and decoded with ChrW (see Zh below); the Chinese
' button labels and tips live in customUI.xml, which is UTF-8.
Option Explicit

' Every button of the ribbon tab calls this sub. Its tag (customUI.xml) names
' the Python function to run:  import perfeval_xl; perfeval_xl.<tag>()
' Python finds the workbook itself via xlwings.Book.caller().
Public Sub OnButton(control As IRibbonControl)
    Dim entry As String
    entry = control.Tag
    Select Case entry
        Case "main", "clear_marks", "new_form", "open_help"
            ' known entry points of the perfeval_xl package
        Case Else
            MsgBox "perfeval_xl: unknown ribbon button tag '" & entry & "'.", vbCritical, AppTitle()
            Exit Sub
    End Select
    If ActiveWorkbook Is Nothing Then
        ' RunPython needs an active workbook (none open, or Protected View).
        MsgBox NoWorkbookMessage(), vbExclamation, AppTitle()
        Exit Sub
    End If
    RunPython "import perfeval_xl; perfeval_xl." & entry & "()"
End Sub

' Window title: the tab label ("performance self-evaluation").
Private Function AppTitle() As String
    AppTitle = Zh("7EE9654881EA8BC4")
End Function

' "Open or create a workbook first, then click this button. If the file is in
' Protected View, click Enable Editing first." (tests/test_addin_file.py decodes it)
Private Function NoWorkbookMessage() As String
    NoWorkbookMessage = Zh("8BF7514862535F00621665B05EFA4E004E2A5DE54F5C7C3FFF0C518D70B96B64630994AE" _
        & "30025982679C65874EF659044E8E201C53D74FDD62A4768489C656FE201DFF0C8BF7514870B9" _
        & "201C542F75287F168F91201D3002")
End Function

' Decodes UTF-16 code units written as 4 hex digits each.
Private Function Zh(ByVal hexCodes As String) As String
    Dim i As Long
    For i = 1 To Len(hexCodes) Step 4
        Zh = Zh & ChrW(Val("&H" & Mid$(hexCodes, i, 4) & "&"))
    Next i
End Function
