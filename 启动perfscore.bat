@echo off
setlocal
rem perfscore launcher: the first run makes a Python environment (.venv) in this folder and
rem installs perfscore from the package index (this needs the internet once); every run starts the page.
title perfscore 绩效自评表评分
set "HERE=%~dp0"
set "VENV=%HERE%.venv"
if exist "%VENV%\Scripts\perfscore.exe" goto run

set "PY="
for %%V in (3.13 3.12 3.11) do (
  if not defined PY (
    py -%%V-64 -c pass >nul 2>&1
    if not errorlevel 1 set "PY=py -%%V-64"
  )
)
if defined PY goto install
python -c "import sys; sys.exit(0 if sys.version_info[:2] in [(3, 13), (3, 12), (3, 11)] and sys.maxsize > 2**32 else 1)" >nul 2>&1
if errorlevel 1 goto nopython
set "PY=python"

:install
echo 第一次运行：正在建立 Python 环境并从网上安装 perfscore 用到的软件包（需要联网，约 2 到 5 分钟）……
%PY% -m venv "%VENV%"
if errorlevel 1 goto failed
"%VENV%\Scripts\python.exe" -m pip install "%HERE%."
if errorlevel 1 goto failed

:run
echo 正在启动 perfscore 网页，浏览器会自动打开（没有打开时请访问 http://127.0.0.1:8765 ）。
echo 用完后关闭这个窗口即停止。
"%VENV%\Scripts\perfscore.exe" serve
if errorlevel 1 pause
exit /b 0

:nopython
echo 没有找到 64 位的 Python 3.11、3.12 或 3.13。请先安装 Python（见 README），再双击本文件。
pause
exit /b 1

:failed
echo 安装没有完成，原因见上面的信息。可删除本文件夹中的 .venv 文件夹后再双击重试；
echo 仍不成功时，请把这个窗口截图发给技术人员。
pause
exit /b 1
