Attribute VB_Name = "RibbonPerfevalXL"
' Ribbon callbacks of the perfeval_xl add-in.
'
' Source of truth: addin/src/RibbonPerfevalXL.bas in the perfeval-xl repository.
' addin/build_addin.py compiles it into xl/vbaProject.bin; changes made in the
' VBA editor are lost at the next build.
'
' Keep this file ASCII: the VBA project uses code page 1252. Chinese text is
' written as UTF-16 hex codes and decoded with ChrW (see Zh below); the Chinese
' button labels and tips live in customUI.xml (UTF-8), and the Chinese names the
' routing needs (our templates' defined names, the results sheet) live in the
' config sheet.
'
' One add-in, two modes, chosen by the add-in's own config sheet
' "perfeval_xl.conf" (written by addin/build_addin.py and by
' perfeval_xl/addin_build.py for a preconfigured copy, never by hand):
'   * PERFEVAL_SERVER set: the workbook goes to the perfeval-xl service through
'     xlwings' RunServerPython (module Remote, VBA-Web over WinHttp). No Python,
'     no child process on this PC.
'   * PERFEVAL_SERVER empty: local Python through xlwings' RunPython.
Option Explicit

' Keys of the add-in's config sheet (perfeval_xl/addin_build.py writes them).
Private Const KEY_SERVER As String = "PERFEVAL_SERVER"              ' http(s)://host:port
Private Const KEY_AUTH As String = "AUTH"                           ' sent as the Authorization header
Private Const KEY_FORM_NAMES As String = "PERFEVAL_FORM_NAMES"      ' defined names that mark our templates
Private Const KEY_RESULTS_SHEET As String = "PERFEVAL_RESULTS_SHEET"
Private Const KEY_TEMPLATE As String = "PERFEVAL_TEMPLATE"          ' the blank form's path on the service
Private Const SERVER_ROUTE As String = "/api/v1/xlwings/"

' Every button of the ribbon tab calls this sub. Its tag (customUI.xml) names the
' entry: the Python function perfeval_xl.<tag>() in local mode; in server mode the
' route <server>/api/v1/xlwings/<tag> (main, clear_marks) or the service's
' template (new_form) and page (open_help).
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
    If NeedsWorkbook(entry) And ActiveWorkbook Is Nothing Then
        ' None open, or the file is in Protected View.
        MsgBox NoWorkbookMessage(), vbExclamation, AppTitle()
        Exit Sub
    End If
    Dim server As String
    server = ServerAddress()
    If server <> "" Then
        RunOnServer entry, server
    Else
        RunLocally entry
    End If
End Sub

' Check and clear work on the active workbook; a new form and the help need none.
Private Function NeedsWorkbook(entry As String) As Boolean
    NeedsWorkbook = (entry = "main" Or entry = "clear_marks")
End Function

' --- Server mode ------------------------------------------------------------

Private Function ServerAddress() As String
    ServerAddress = AddinSetting(KEY_SERVER)
    Do While Right$(ServerAddress, 1) = "/"
        ServerAddress = Left$(ServerAddress, Len(ServerAddress) - 1)
    Loop
End Function

Private Sub RunOnServer(entry As String, server As String)
    On Error GoTo Failed
    Select Case entry
        Case "main", "clear_marks"
            RunServerPython server & SERVER_ROUTE & entry, _
                auth:=AddinSetting(KEY_AUTH), include:=SheetsToSend(ActiveWorkbook)
        Case "new_form"
            OpenFormFromServer server
        Case "open_help"
            ThisWorkbook.FollowHyperlink server & "/"
    End Select
    Exit Sub
Failed:
    MsgBox ServerFailedMessage() & server & vbLf & ServerHint() & Err.Description, vbCritical, AppTitle()
End Sub

' The sheets RunServerPython sends (include:=), as perfeval_xl.forms.sheets_to_read
' decides for a file: a workbook made from our templates (it defines one of the
' names in PERFEVAL_FORM_NAMES) needs only the sheets its names point to and the
' results sheet; any other workbook is searched sheet by sheet, so all of it goes
' ("" = no include list). Remote.bas splits the list at commas and trims each
' name, so a sheet name with a comma or outer spaces also sends everything.
Private Function SheetsToSend(wb As Workbook) As String
    Dim markers As Variant, marker As Variant, nm As Name
    Dim ours As Boolean, sheetName As String, list As String
    markers = Split(AddinSetting(KEY_FORM_NAMES), ",")
    For Each nm In wb.Names
        For Each marker In markers
            If Mid$(nm.Name, InStrRev(nm.Name, "!") + 1) = marker Then ours = True ' sheet scope: Sheet!Name
        Next marker
    Next nm
    If Not ours Then Exit Function
    For Each nm In wb.Names
        sheetName = ""
        On Error Resume Next
        sheetName = nm.RefersToRange.Worksheet.Name
        On Error GoTo 0
        If sheetName <> "" Then
            If InStr(sheetName, ",") > 0 Or Trim$(sheetName) <> sheetName Then Exit Function
            If InStr("," & list & ",", "," & sheetName & ",") = 0 Then list = list & "," & sheetName
        End If
    Next nm
    SheetsToSend = Mid$(list & "," & AddinSetting(KEY_RESULTS_SHEET), 2)
End Function

' New form in server mode: download the blank template from the service into the
' temp folder and open a new, unsaved workbook from it (as the Python entry does
' with the local template), so nobody saves over the template.
Private Sub OpenFormFromServer(server As String)
    Dim client As New WebClient
    Dim request As New WebRequest
    Dim response As WebResponse
    Dim body() As Byte
    Dim path As String
    Dim fileNum As Integer
    client.BaseUrl = server
    client.TimeoutMs = 30000
    request.Resource = AddinSetting(KEY_TEMPLATE)
    request.Method = WebMethod.HttpGet
    request.ResponseFormat = WebFormat.PlainText
    Set response = client.Execute(request)
    If response.StatusCode <> WebStatusCode.Ok Then
        MsgBox TemplateFailedMessage() & server & "/" & request.Resource & " (HTTP " & response.StatusCode & ")", _
            vbExclamation, AppTitle()
        Exit Sub
    End If
    body = response.Body
    path = Environ$("TEMP") & "\perfeval_xl-" & CreateGUID() & ".xlsx"
    fileNum = FreeFile
    Open path For Binary Access Write As #fileNum
    Put #fileNum, 1, body
    Close #fileNum
    Workbooks.Add Template:=path
    Kill path
End Sub

' --- Local mode -------------------------------------------------------------

Private Sub RunLocally(entry As String)
    Dim problem As String, scratch As Workbook
    Dim errNumber As Long, errSource As String, errDescription As String
    problem = MissingPython()
    If problem <> "" Then
        MsgBox problem, vbExclamation, AppTitle()
        Exit Sub
    End If
    If ActiveWorkbook Is Nothing Then
        ' Only new_form and open_help get here. xlwings' RunPython reads the active
        ' workbook (its name goes to Python as --wb) and fails without one, so lend
        ' it a blank workbook for the call and close it afterwards.
        Application.ScreenUpdating = False
        Set scratch = Workbooks.Add
    End If
    On Error GoTo AfterPython
    RunPython "import perfeval_xl; perfeval_xl." & entry & "()"
AfterPython:
    errNumber = Err.Number
    errSource = Err.Source
    errDescription = Err.Description
    On Error GoTo 0
    If Not scratch Is Nothing Then
        scratch.Close SaveChanges:=False
        Application.ScreenUpdating = True
    End If
    If errNumber <> 0 Then Err.Raise errNumber, errSource, errDescription
End Sub

' "" when the Python that RunPython will start exists; otherwise the Chinese
' message to show instead of cmd's or xlwings' English one. Reads the settings
' as RunPython does: INTERPRETER_WIN, else INTERPRETER, else "python" on PATH.
Private Function MissingPython() As String
    Dim source As String, interpreter As String
    ' Without a workbook GetConfig's directory layer fails (run-time error 91):
    ' read the user's config file only, which is where addin install writes.
    If ActiveWorkbook Is Nothing Then source = "user"
    If GetConfig("CONDA PATH", "", source) <> "" Then Exit Function ' conda brings its own
    interpreter = GetConfig("INTERPRETER_WIN", "", source)
    If interpreter = "" Then interpreter = GetConfig("INTERPRETER", "python", source)
    If interpreter = "python" Or interpreter = "pythonw" Then
        If Not OnPath(interpreter & ".exe") Then MissingPython = NoPythonMessage() & vbLf & FixPythonHint()
    ElseIf Not FileExists(interpreter) Then
        MissingPython = InterpreterGoneMessage() & interpreter & vbLf & FixPythonHint()
    End If
End Function

' cmd.exe finds a bare "python" on PATH. The Microsoft Store's python.exe in
' ...\WindowsApps is a stub that only offers to install Python: it does not count.
Private Function OnPath(exeName As String) As Boolean
    Dim folder As Variant, dirPath As String
    For Each folder In Split(Environ$("PATH"), ";")
        dirPath = Trim$(Replace(CStr(folder), """", ""))
        If Right$(dirPath, 1) = "\" Then dirPath = Left$(dirPath, Len(dirPath) - 1)
        If dirPath <> "" And InStr(1, dirPath, "\WindowsApps", vbTextCompare) = 0 Then
            If FileExists(dirPath & "\" & exeName) Then
                OnPath = True
                Exit Function
            End If
        End If
    Next folder
End Function

' --- Settings and messages --------------------------------------------------

' A value of the add-in's own config sheet, read like xlwings' GetConfigFromSheet
' (keys in column A from A1 down to the first blank, upper case; values in B) but
' without its unqualified Range(), which needs an active sheet, so that it also
' works with no workbook open.
Private Function AddinSetting(key As String) As String
    Dim sht As Worksheet, r As Long
    On Error Resume Next
    Set sht = ThisWorkbook.Worksheets(PROJECT_NAME & ".conf")
    On Error GoTo 0
    If sht Is Nothing Then Exit Function
    r = 1
    Do While CStr(sht.Cells(r, 1).Value) <> ""
        If UCase$(CStr(sht.Cells(r, 1).Value)) = key Then
            AddinSetting = Trim$(CStr(sht.Cells(r, 2).Value))
            Exit Function
        End If
        r = r + 1
    Loop
End Function

' Window title: the tab label ("performance self-evaluation").
Private Function AppTitle() As String
    AppTitle = Zh("7EE9654881EA8BC4")
End Function

' "Open or create a workbook first, then click this button. If the file is in
' Protected View, click Enable Editing first."
Private Function NoWorkbookMessage() As String
    NoWorkbookMessage = Zh("8BF7514862535F00621665B05EFA4E004E2A5DE54F5C7C3FFF0C518D70B96B64630994AE3002" _
        & "5982679C65874EF659044E8E201C53D74FDD62A4768489C656FE201DFF0C8BF7514870B9201C" _
        & "542F75287F168F91201D3002")
End Function

' "Python not found: no Python is configured for this add-in on this PC."
Private Function NoPythonMessage() As String
    NoPythonMessage = Zh("627E4E0D523000200050007900740068006F006EFF1A672C673A8FD86CA167094E3A201C7EE9" _
        & "654881EA8BC4201D914D7F6E00200050007900740068006F006E002073AF58833002")
End Function

' "Python not found: the configured interpreter does not exist: " (the path follows).
Private Function InterpreterGoneMessage() As String
    InterpreterGoneMessage = Zh("627E4E0D523000200050007900740068006F006EFF1A914D7F6E768400200050007900740068" _
        & "006F006E002089E391CA56684E0D5B585728FF1A")
End Function

' "Close Excel, double-click the install script (an-zhuang.cmd) in the install folder to (re)install, then
' open Excel. If your organisation runs the service, ask for the service add-in,
' which needs no Python."
Private Function FixPythonHint() As String
    FixPythonHint = Zh("8BF7517395ED00200045007800630065006CFF0C53CC51FB5B8988C565874EF6593991CC7684" _
        & "201C5B8988C5002E0063006D0064201DFF0891CD65B0FF095B8988C5FF0C518D62535F000020" _
        & "0045007800630065006C30025982679C53554F4D63D04F9B4E867EE9654881EA8BC4670D52A1" _
        & "FF0C4E5F53EF4EE554117BA1740654587D2253D6670D52A1724852A08F7D9879FF0C5B834E0D" _
        & "9700898100200050007900740068006F006E3002")
End Function

' "Calling the service failed: " (the address follows).
Private Function ServerFailedMessage() As String
    ServerFailedMessage = Zh("8C0375287EE9654881EA8BC4670D52A165F651FA9519FF1A")
End Function

' "If it cannot connect, check the network or ask the administrator whether the
' service runs. Technical details: "
Private Function ServerHint() As String
    ServerHint = Zh("5982679C662F8FDE63A595EE9898FF0C8BF768C067E57F517EDCFF0C62168BF77BA174065458" _
        & "786E8BA4670D52A15DF2542F52A830026280672F4FE1606FFF1A")
End Function

' "The service did not provide the template: " (the address and HTTP status follow).
Private Function TemplateFailedMessage() As String
    TemplateFailedMessage = Zh("7EE9654881EA8BC4670D52A16CA1670963D04F9B6A21677FFF1A")
End Function

' Decodes UTF-16 code units written as 4 hex digits each (to write one:
' python -c "print(''.join(f'{ord(c):04X}' for c in 'TEXT'))").
Private Function Zh(ByVal hexCodes As String) As String
    Dim i As Long
    For i = 1 To Len(hexCodes) Step 4
        Zh = Zh & ChrW(Val("&H" & Mid$(hexCodes, i, 4) & "&"))
    Next i
End Function
