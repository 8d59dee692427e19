#!/usr/bin/env python3
"""Run the MLPerf Tiny runner (mlcommons/tiny benchmark/runner/main.py) against
hil's virtual bench.

The runner finds its devices by USB VID:PID through pyserial's port list, and
a pseudo-terminal has no USB identity. This wrapper adds the port of
`hil bench up --pty PATH` to that list under the VID:PID of the runner's `dut`
entry in its devices.yaml, then runs the given script as __main__ with the
remaining arguments. Every real port stays listed.

    cd tiny/benchmark/runner
    /usr/bin/python3 HIL/tools/mlperf/run_on_pty.py --port /tmp/hil-dut \\
        --usb 0483:374b main.py -m p -s DATASETS

Exit status: the script's; 2 for a bad argument or a port that is not a
terminal device.
"""

import argparse
import os
import runpy
import stat
import sys


def usb_id(text):
    try:
        vid, pid = (int(part, 16) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not VID:PID in hex, e.g. 0483:374b")
    if not (0 <= vid <= 0xFFFF and 0 <= pid <= 0xFFFF):
        raise argparse.ArgumentTypeError(f"'{text}': VID and PID are 16-bit")
    return vid, pid


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", required=True, help="the link that hil bench up --pty made")
    parser.add_argument("--usb", required=True, type=usb_id,
                        help="VID:PID (hex) of the dut entry in the runner's devices.yaml")
    parser.add_argument("--description", default="hil virtual DUT",
                        help="the port's description (the runner also matches usb_description)")
    parser.add_argument("script", help="the runner's main.py")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="passed to the script")
    args = parser.parse_args()

    try:
        mode = os.stat(args.port).st_mode
    except OSError as error:
        parser.error(f"{args.port}: {error.strerror}; start hil bench up --pty {args.port} first")
    if not stat.S_ISCHR(mode):
        parser.error(f"{args.port} is not a terminal device (is it hil bench up's --pty link?)")
    if not os.path.isfile(args.script):
        parser.error(f"{args.script}: no such script")

    from serial.tools import list_ports, list_ports_common

    real_comports = list_ports.comports
    vid, pid = args.usb

    def comports(include_links=False):
        port = list_ports_common.ListPortInfo(args.port, skip_link_detection=True)
        port.vid, port.pid = vid, pid
        port.description = args.description
        port.manufacturer, port.product = "hil", "virtual bench DUT UART"
        port.hwid = f"USB VID:PID={vid:04X}:{pid:04X} (hil bench up --pty)"
        return [port] + [p for p in real_comports(include_links) if p.device != args.port]

    list_ports.comports = comports
    sys.argv = [args.script] + args.arguments
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
    runpy.run_path(args.script, run_name="__main__")


if __name__ == "__main__":
    main()
