"""The intranet service (issue #9): the page, the HTTP API and the Excel client's route, on the same pure core.

`create_app(settings)` in app.py builds the ASGI app; `perfeval-xl serve` (cli.py) runs it with uvicorn. The service
is stateless: every request carries its workbooks, every file is checked in a worker process with a time and memory
cap, and nothing a client sent is kept after the response (unless the operator asks for it).
"""
