#!/usr/bin/env python3
"""The .deb, end to end on a disposable root machine: build it with cpack from the build tree,
install it with dpkg, check what ops rely on (the binary, the example config as installed, the
system user in group adm, the unit and its hardening score, conffiles), reinstall it (the upgrade
path of the maintainer scripts), remove it, purge it, and check nothing is left.

Usage: test_deb.py BUILD_DIR PROJECT_VERSION
Exit codes: 0 pass, 1 fail, 77 skipped (not root, dpkg missing, or gatewatch already on the machine).
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
# Bounded steps: cpack runs dpkg-shlibdeps and strips the binary; dpkg steps run maintainer scripts.
CPACK_TIMEOUT_S = 600
DPKG_TIMEOUT_S = 180
COMMAND_TIMEOUT_S = 60
# docs/packaging.md: the unit must score "OK" in `systemd-analyze security`.
MAX_EXPOSURE = 2.0

PACKAGE = "gatewatch"
CONFIG = "/etc/gatewatch/gatewatch.yaml"
ENV_FILE = "/etc/gatewatch/gatewatch.env"
UNIT = "/lib/systemd/system/gatewatch.service"
STATE_DIR = "/var/lib/gatewatch"
LEFTOVERS = ["/usr/bin/gatewatch", UNIT, "/usr/lib/systemd/system/gatewatch.service",
             "/etc/gatewatch", STATE_DIR, "/usr/share/doc/gatewatch",
             "/etc/systemd/system/gatewatch.service",
             "/etc/systemd/system/multi-user.target.wants/gatewatch.service"]


class Failure(Exception):
    pass


def run(cmd, timeout=COMMAND_TIMEOUT_S, check=True, env=None):
    """Runs cmd, returns (exit code, stdout+stderr); raises Failure on a timeout or, with check,
    on a non-zero exit, with the command's output in the message."""
    print("$ " + " ".join(cmd), flush=True)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"{cmd[0]} did not finish within {timeout} s:\n{e.output or ''}") from e
    if check and proc.returncode != 0:
        raise Failure(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}")
    return proc.returncode, proc.stdout


def expect(condition, message):
    if not condition:
        raise Failure(message)
    print("ok: " + message.split("\n")[0], flush=True)


def dpkg_env():
    env = dict(os.environ)
    env["DEBIAN_FRONTEND"] = "noninteractive"
    return env


def installed_status():
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, timeout=COMMAND_TIMEOUT_S)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def user_groups(user):
    code, out = run(["id", "-nG", user], check=False)
    return out.split() if code == 0 else None


def build_deb(build_dir, scratch, version):
    config = os.path.join(build_dir, "CPackConfig.cmake")
    expect(os.path.exists(config), f"{config} exists (configure the build first)")
    code, out = run(["cpack", "--config", config, "-G", "DEB", "-B", scratch], timeout=CPACK_TIMEOUT_S,
                    check=False)
    if code != 0:
        hint = ""
        if "dpkg-shlibdeps" in out:
            hint = "\n(dpkg-shlibdeps comes with Debian's dpkg-dev package)"
        raise Failure(f"cpack -G DEB exited {code}:\n{out}{hint}")
    debs = sorted(pathlib.Path(scratch).glob("*.deb"))
    expect(len(debs) == 1, f"cpack wrote one .deb (found {[d.name for d in debs]})")
    deb = str(debs[0])

    _, info = run(["dpkg-deb", "--field", deb, "Package", "Version", "Section", "Depends",
                   "Maintainer"])
    print(info)
    expect(f"Version: {version}-1" in info, f"the package version is {version}-1")
    expect("Section: admin" in info, "the package's section is admin")
    depends = re.search(r"^Depends: (.*)$", info, re.M)
    expect(depends is not None, "the package has a Depends field")
    depends = depends.group(1)
    # adduser is the postinst's; the libraries are dpkg-shlibdeps' (checked against the binary
    # once installed, in check_depends).
    for needed in ("libc6", "libstdc++6", "adduser"):
        expect(re.search(rf"(^|, ){re.escape(needed)}( |,|$)", depends) is not None,
               f"Depends names {needed}: {depends}")
    _, contents = run(["dpkg-deb", "--contents", deb])
    for path in ("./usr/bin/gatewatch", "./usr/lib/systemd/system/gatewatch.service",
                 "./etc/gatewatch/gatewatch.yaml", "./etc/gatewatch/gatewatch.env",
                 "./usr/share/doc/gatewatch/README.md"):
        expect(re.search(rf" {re.escape(path)}$", contents, re.M) is not None,
               f"the package holds {path}")
    expect(re.search(r"^-rw-r----- root/root .* \./etc/gatewatch/gatewatch\.env$", contents, re.M)
           is not None, "gatewatch.env is packaged 0640 root/root")
    return deb, depends


def check_depends(depends):
    """Every shared library the installed binary loads comes from a package named in Depends."""
    _, dynamic = run(["objdump", "-p", "/usr/bin/gatewatch"])
    needed = re.findall(r"^\s*NEEDED\s+(\S+)$", dynamic, re.M)
    expect(needed, f"the binary names the libraries it needs: {needed}")
    named = {re.split(r"[ (]", d.strip())[0] for d in depends.split(",")}
    for library in needed:
        code, owner = run(["dpkg", "--search", f"*/{library}"], check=False)
        packages = {line.split(":")[0] for line in owner.splitlines() if ": /" in line}
        # A dependency may name what the owning package Provides (libspdlog1.10 provides
        # libspdlog1.10-fmt9, which is what dpkg-shlibdeps writes).
        for package in list(packages):
            _, provides = run(["dpkg-query", "-W", "-f=${Provides}", package], check=False)
            packages |= {re.split(r"[ (]", p.strip())[0] for p in provides.split(",") if p.strip()}
        expect(code == 0 and packages & named,
               f"{library} (from {sorted(packages)}) is covered by Depends: {sorted(named)}")


def check_installed(version):
    expect(installed_status() == "install ok installed", f"dpkg reports {PACKAGE} installed")

    _, out = run(["/usr/bin/gatewatch", "--version"])
    expect(version in out, f"gatewatch --version names {version}: {out.strip()}")

    # The example config must be valid exactly as installed, also read as the service's user.
    _, out = run(["/usr/bin/gatewatch", "check", "--config", CONFIG])
    print(out)
    run(["runuser", "-u", "gatewatch", "--", "/usr/bin/gatewatch", "check", "--config", CONFIG])

    code, passwd = run(["getent", "passwd", "gatewatch"], check=False)
    expect(code == 0, "the system user gatewatch exists")
    fields = passwd.strip().split(":")
    expect(int(fields[2]) < 1000, f"gatewatch is a system user (uid {fields[2]})")
    expect(fields[5] == STATE_DIR, f"gatewatch's home is {STATE_DIR} ({fields[5]})")
    expect(fields[6].endswith("nologin") or fields[6].endswith("false"),
           f"gatewatch has no login shell ({fields[6]})")
    groups = user_groups("gatewatch") or []
    expect("gatewatch" in groups and "adm" in groups,
           f"gatewatch is in groups gatewatch and adm ({groups})")

    st = os.stat(STATE_DIR)
    expect(st.st_mode & 0o777 == 0o750, f"{STATE_DIR} is mode 0750 ({oct(st.st_mode & 0o777)})")
    expect(st.st_uid == int(fields[2]), f"{STATE_DIR} is owned by gatewatch")
    st = os.stat(ENV_FILE)
    expect(st.st_mode & 0o777 == 0o640 and st.st_uid == 0 and st.st_gid == int(fields[3]),
           f"{ENV_FILE} is 0640 root:gatewatch")

    expect(os.path.isfile(UNIT), f"the unit is at {UNIT}")
    _, out = run(["systemd-analyze", "security", "--offline=yes", "--no-pager", UNIT], check=False)
    found = re.search(r"Overall exposure level for gatewatch\.service: ([0-9.]+) (\w+)", out)
    expect(found is not None, f"systemd-analyze security printed an overall exposure:\n{out}")
    exposure = float(found.group(1))
    expect(exposure <= MAX_EXPOSURE,
           f"exposure {exposure} {found.group(2)} is at most {MAX_EXPOSURE}:\n{out}")
    # verify: every directive known, ExecStart executable, [Install] target valid.
    # Other units on the machine may draw warnings too: only lines naming ours count.
    code, out = run(["systemd-analyze", "verify", "--no-pager", UNIT], check=False)
    print(f"(systemd-analyze verify exited {code}){':' if out else ''}\n{out}", end="")
    mine = [line for line in out.splitlines() if "gatewatch" in line]
    expect(not mine, "systemd-analyze verify reports nothing about the unit:\n" + "\n".join(mine))

    _, conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}\n", PACKAGE])
    expect(CONFIG in conffiles and ENV_FILE in conffiles,
           f"dpkg lists {CONFIG} and {ENV_FILE} as conffiles:\n{conffiles}")


def check_gone():
    left = [p for p in LEFTOVERS if os.path.lexists(p)]
    expect(not left, f"nothing of the package is left ({left})")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    build_dir, version = os.path.abspath(sys.argv[1]), sys.argv[2]

    if os.geteuid() != 0:
        print("SKIP: installs a .deb system-wide; run as root on a disposable machine (CI)")
        return SKIP
    missing = [tool for tool in ("dpkg", "dpkg-deb", "dpkg-query") if shutil.which(tool) is None]
    if missing:
        print(f"SKIP: {', '.join(missing)} not found: not a Debian system")
        return SKIP
    if installed_status():
        print(f"SKIP: {PACKAGE} is already known to dpkg on this machine ({installed_status()}); "
              "the test would replace and purge it")
        return SKIP
    present = [p for p in ("/etc/gatewatch", STATE_DIR) if os.path.lexists(p)]
    if present:
        print(f"SKIP: {', '.join(present)} exist on this machine; purging the package would "
              "delete them")
        return SKIP
    for tool, package in (("cpack", "cmake"), ("systemd-analyze", "systemd"),
                          ("dpkg-shlibdeps", "dpkg-dev"), ("runuser", "util-linux"),
                          ("objdump", "binutils")):
        if shutil.which(tool) is None:
            print(f"FAIL: {tool} not found (Debian package {package})")
            return 1

    user_existed = user_groups("gatewatch") is not None
    group_existed = subprocess.run(["getent", "group", "gatewatch"], stdout=subprocess.DEVNULL,
                                   timeout=COMMAND_TIMEOUT_S).returncode == 0
    scratch = tempfile.mkdtemp(prefix="gatewatch-deb-")
    try:
        deb, depends = build_deb(build_dir, scratch, version)

        run(["dpkg", "-i", deb], timeout=DPKG_TIMEOUT_S, env=dpkg_env())
        check_installed(version)
        check_depends(depends)

        # The same package again: postinst runs with the old version in $2 (the upgrade path);
        # an admin's edit to a conffile survives it.
        with open(CONFIG, "a", encoding="utf-8") as f:
            f.write("# edited by the admin\n")
        run(["dpkg", "-i", "--force-confold", deb], timeout=DPKG_TIMEOUT_S, env=dpkg_env())
        with open(CONFIG, encoding="utf-8") as f:
            expect(f.read().endswith("# edited by the admin\n"),
                   "an edited conffile survives a reinstall")
        check_installed(version)

        # remove keeps the conffiles and the state; purge takes everything.
        run(["dpkg", "--remove", PACKAGE], timeout=DPKG_TIMEOUT_S, env=dpkg_env())
        expect(not os.path.exists("/usr/bin/gatewatch"), "remove deletes the binary")
        expect(os.path.exists(CONFIG) and os.path.isdir(STATE_DIR),
               "remove keeps the config and the state directory")
        run(["dpkg", "--purge", PACKAGE], timeout=DPKG_TIMEOUT_S, env=dpkg_env())
        expect(installed_status() in ("", "unknown ok not-installed"),
               f"dpkg no longer knows {PACKAGE} ({installed_status()!r})")
        check_gone()
        print("PASS")
        return 0
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        # Leave the machine as it was: purge whatever is still installed, drop the user we made.
        if installed_status():
            subprocess.run(["dpkg", "--purge", PACKAGE], env=dpkg_env(), timeout=DPKG_TIMEOUT_S,
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        if not user_existed and user_groups("gatewatch") is not None:
            subprocess.run(["userdel", "gatewatch"], timeout=COMMAND_TIMEOUT_S)
        if not group_existed and subprocess.run(["getent", "group", "gatewatch"],
                                                stdout=subprocess.DEVNULL).returncode == 0:
            subprocess.run(["groupdel", "gatewatch"], timeout=COMMAND_TIMEOUT_S)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
