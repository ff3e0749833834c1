"""``perfscore serve``: a local web page over the library, for staff who never open a terminal.

The web stack (Starlette, uvicorn, python-multipart) is imported only here, only when the
server starts, so the other commands start as fast as before.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import webbrowser

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":  # on Windows SO_REUSEADDR would let the probe share a taken port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True) -> None:
    """Start the server (until Ctrl+C) and, unless told not to, open the page in the default browser."""
    try:
        import uvicorn

        from .app import LOOPBACK_NAMES, create_app, max_upload_from_env
    except ImportError as exc:  # pragma: no cover - a broken install
        raise SystemExit(f"缺少网页服务所需的软件包（{exc.name}），请重新安装: pip install perfscore") from None

    if not _port_free(host, port):
        raise SystemExit(f"无法在 {host}:{port} 启动：端口已被占用或地址不可用，请用 --port 换一个端口")
    local = host in LOCAL_HOSTS
    # on loopback, only pages opened by a loopback name are served (no DNS rebinding)
    app = create_app(max_upload=max_upload_from_env(), hosts=LOOPBACK_NAMES if local else None)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    if not local:
        _say(f"警告: 服务监听在 {host}，同一网络中的其他电脑也能打开此页面并上传文件；只在本机使用时请去掉 --host")
    _say(f"perfscore 网页已启动: {url}  （关闭此窗口或按 Ctrl+C 停止）")
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    if open_browser:
        def _open() -> None:
            for _ in range(200):  # up to 10 s for the socket to be listening
                if server.started:
                    webbrowser.open(url)
                    return
                threading.Event().wait(0.05)

        threading.Thread(target=_open, name="perfscore-open-browser", daemon=True).start()
    server.run()


__all__ = ["serve"]
