#!/usr/bin/python3
"""A stand-in for RAUC's D-Bus service, so rauc-hawkbit-updater can "install" without RAUC.

It owns de.pengutronix.rauc on the session bus, object "/", interface de.pengutronix.rauc.Installer,
and answers InstallBundle the way RAUC does: it reports Progress through PropertiesChanged, then emits
Completed(0) on success, or sets LastError and emits Completed(1). A bundle fails when its file does not
exist, or its name contains "fail", or its content starts with "FAIL". Each call is logged to stdout with the bundle's size and SHA-1, so a
manual run shows what the updater downloaded.

Run (Debian: python3-dbus python3-gi dbus):
    dbus-run-session -- sh -c '/usr/bin/python3 rauc-dbus-dummy.py & sleep 1; \
        DBUS_STARTER_BUS_TYPE=session rauc-hawkbit-updater -c updater.conf -r -d'
"""

import hashlib
import os
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "de.pengutronix.rauc.Installer"
PROPS = "org.freedesktop.DBus.Properties"


def log(msg):
    print(f"[rauc-dummy] {msg}", flush=True)


class Installer(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/")
        self.props = {
            "Operation": dbus.String("idle"),
            "LastError": dbus.String(""),
            "Progress": dbus.Struct((dbus.Int32(0), dbus.String(""), dbus.Int32(0)), signature="isi"),
            "Compatible": dbus.String("updraft-e2e"),
            "Variant": dbus.String(""),
            "BootSlot": dbus.String("A"),
        }

    def set(self, **changes):
        self.props.update(changes)
        self.PropertiesChanged(IFACE, changes, [])

    @dbus.service.signal(PROPS, signature="sa{sv}as")
    def PropertiesChanged(self, interface, changed, invalidated):
        pass

    @dbus.service.signal(IFACE, signature="i")
    def Completed(self, result):
        log(f"Completed({result})")

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, interface, name):
        return self.props[name]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return self.props

    @dbus.service.method(IFACE, in_signature="sa{sv}", out_signature="")
    def InstallBundle(self, source, args):
        headers = list(args.get("http-headers", []))
        # Never print the token itself.
        shown = [h.split(" ")[0] + " …" if h.startswith("Authorization") else h for h in headers]
        if os.path.isfile(source):
            data = open(source, "rb").read()
            log(f"InstallBundle({source}) size={len(data)} sha1={hashlib.sha1(data).hexdigest()} headers={shown}")
            ok = "fail" not in os.path.basename(source) and not data.startswith(b"FAIL")
        else:
            log(f"InstallBundle({source}) (not a local file: streaming) headers={shown}")
            ok = "fail" not in source
        self.set(Operation=dbus.String("installing"), LastError=dbus.String(""))
        steps = [(0, "Installing"), (40, "Checking bundle"), (80, "Copying image"), (100, "Installing done.")]

        def step():
            if steps:
                pct, msg = steps.pop(0)
                if not ok and pct >= 80:
                    self.set(LastError=dbus.String("dummy: simulated install failure"), Operation=dbus.String("idle"))
                    self.Completed(1)
                    return False
                self.set(Progress=dbus.Struct((dbus.Int32(pct), dbus.String(msg), dbus.Int32(1)), signature="isi"))
                return True
            self.set(Operation=dbus.String("idle"))
            self.Completed(0)
            return False

        GLib.timeout_add(200, step)


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName("de.pengutronix.rauc", bus)
    installer = Installer(bus)
    log(f"serving {name.get_name()} on the session bus")
    loop = GLib.MainLoop()
    GLib.timeout_add_seconds(int(sys.argv[1]) if len(sys.argv) > 1 else 600, loop.quit)
    loop.run()
    del installer


if __name__ == "__main__":
    main()
