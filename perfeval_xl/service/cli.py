"""`perfeval-xl serve`: run the service with uvicorn; prints its address in Chinese."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from ..summary import positive_int
from .settings import MB, Settings


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"应为大于 0 的数，而不是“{text}”")
    return value


def add_serve_parser(sub) -> None:
    serve = sub.add_parser("serve", help="启动内网校验服务（网页、接口和 Excel 加载项的服务端）",
                           description="启动校验服务：浏览器打开其地址即可上传自评表；Excel 加载项可配置为调用本服务。"
                                       "各选项也可用环境变量 PERFEVAL_XL_HOST、PERFEVAL_XL_PORT 等设置（见 docs/server.md）。")
    serve.add_argument("--host", help="监听地址（默认 127.0.0.1，只有本机可访问；内网访问用 0.0.0.0 或本机 IP）")
    serve.add_argument("--port", type=positive_int, help="端口（默认 8000）")
    serve.add_argument("--workers", type=positive_int, help="校验文件的工作进程数（默认为 CPU 核数加 1）")
    serve.add_argument("--tokens-file", help="访问口令文件，每行一个口令；不给则不需要口令")
    serve.add_argument("--max-body-mb", type=_positive_float, help="每个请求最多接收的大小（MB，默认 50）")
    serve.add_argument("--keep-uploads", metavar="文件夹", help="把上传的文件保存到此文件夹（默认不保存任何上传的文件）")
    serve.add_argument("--work-dir", metavar="文件夹", help="请求处理期间存放上传文件的临时文件夹（默认系统临时文件夹；"
                                                        "用内存文件系统如 /dev/shm 更快），响应后即删除")
    serve.add_argument("--public-url", help="加载项应访问的地址（经反向代理访问时填代理上的地址，如 https://jxzp.czj.gov.cn/）")
    serve.add_argument("--policy", help="默认评分口径（内置名称或 .toml 文件）")
    serve.add_argument("--memory-mb", type=positive_int, help="每个工作进程的内存上限（MB，默认 500）")
    serve.add_argument("--seconds", type=_positive_float, help="每个文件的校验时间上限（秒，默认 10）")
    serve.set_defaults(run=cmd_serve)


def settings_from_args(args) -> Settings:
    settings = Settings.from_env()
    for attr in ("host", "port", "workers", "public_url", "policy", "memory_mb", "seconds"):
        if getattr(args, attr) is not None:
            setattr(settings, attr, getattr(args, attr))
    if args.tokens_file:
        settings.tokens_file = Path(args.tokens_file)
    if args.max_body_mb:
        settings.max_body_bytes = int(args.max_body_mb * MB)
    if args.work_dir:
        settings.work_dir = Path(args.work_dir)
    if args.keep_uploads:
        settings.keep_uploads, settings.uploads_dir = True, Path(args.keep_uploads)
    return settings


def addresses(host: str, port: int) -> list[str]:
    if host in ("0.0.0.0", "::", ""):
        names = {"127.0.0.1"}
        try:
            names.add(socket.gethostbyname(socket.gethostname()))
        except OSError:
            pass
        return [f"http://{name}:{port}/" for name in sorted(names)]
    return [f"http://{'[' + host + ']' if ':' in host else host}:{port}/"]


def cmd_serve(args) -> int:
    import uvicorn

    from ..cli import EXIT_OK, EXIT_UNREADABLE
    from ..policy import PolicyError, load_policy
    from .app import create_app

    settings = settings_from_args(args)
    try:
        if settings.policy:
            load_policy(settings.policy)
        app = create_app(settings)
    except PolicyError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNREADABLE
    except OSError as exc:
        print(f"{settings.tokens_file}：无法读取访问口令文件（{exc.strerror or exc}）。请检查 --tokens-file 指向的文件。",
              file=sys.stderr)
        return EXIT_UNREADABLE
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info",
                                           server_header=False, proxy_headers=True, forwarded_allow_ips="127.0.0.1"))
    startup = server.startup

    async def announce_after_startup(sockets=None):
        await startup(sockets)
        if server.started:
            for address in addresses(settings.host, settings.port):
                print(f"绩效自评校验服务已启动：{address}  （浏览器打开此地址；按 Ctrl+C 停止）", flush=True)
            print(f"工作进程 {settings.workers} 个；每次最多接收 {settings.max_body_bytes / MB:g} MB；"
                  f"{'需要访问口令' if settings.tokens_file else '不需要访问口令'}。", flush=True)

    server.startup = announce_after_startup
    server.run()
    if not server.started:
        print(f"服务未能启动（原因见上面的日志）：端口 {settings.port} 可能已被占用、没有权限监听 {settings.host}，"
              f"或校验工作进程未能启动。可换一个端口（--port）再试。", file=sys.stderr)
        return EXIT_UNREADABLE
    print("服务已停止。", flush=True)
    return EXIT_OK
