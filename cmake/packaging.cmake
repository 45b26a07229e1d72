# Packaging: the install layout and `cpack -G DEB` (a .deb for Debian 12).
#
# The .deb installs under /usr (CPack's default packaging prefix for DEB):
#   /usr/bin/gatewatch                          (daemon/CMakeLists.txt: install(TARGETS))
#   /usr/lib/systemd/system/gatewatch.service   (the unit; /lib/systemd/system via merged /usr)
#   /etc/gatewatch/gatewatch.yaml               (the example config; conffile)
#   /etc/gatewatch/gatewatch.env                (secrets for the sinks, all commented; conffile, 0640)
#   /usr/share/doc/gatewatch/                   (README and docs/*.md)
# packaging/debian/{postinst,prerm,postrm} create the `gatewatch` system user (in group adm) and
# keep systemd's state; the unit is not enabled or started on first install (see postinst).
include(GNUInstallDirs)

# Unit directory relative to the prefix: /usr/lib/systemd/system in the package. systemd reads
# both /lib and /usr/lib, and Debian 12's /lib is a link to /usr/lib.
set(GATEWATCH_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
    "Where the systemd unit is installed (relative to the install prefix, or absolute)")

install(FILES ${PROJECT_SOURCE_DIR}/systemd/gatewatch.service
        DESTINATION ${GATEWATCH_SYSTEMD_UNIT_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# /etc is absolute on purpose: the unit reads /etc/gatewatch/gatewatch.yaml whatever the prefix.
# Into a package or a staging root (DESTDIR set, as cpack does) both files always go; onto the
# machine itself (`cmake --install` without DESTDIR) only when absent, so an admin's config and
# secrets are never overwritten. dpkg keeps an admin's edits to them as conffiles.
set(gatewatch_install_etc [[
  function(gw_install_etc src)
    get_filename_component(name "${src}" NAME)
    if("$ENV{DESTDIR}" STREQUAL "" AND EXISTS "/etc/gatewatch/${name}")
      message(STATUS "Kept: /etc/gatewatch/${name} (exists; the example is ${src})")
      return()
    endif()
    file(INSTALL DESTINATION /etc/gatewatch TYPE FILE FILES "${src}" PERMISSIONS ${ARGN})
  endfunction()
  gw_install_etc("@PROJECT_SOURCE_DIR@/config/gatewatch.yaml"
                 OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  # Secrets: root and the gatewatch group only (postinst sets the group; the user exists by then).
  gw_install_etc("@PROJECT_SOURCE_DIR@/systemd/gatewatch.env" OWNER_READ OWNER_WRITE GROUP_READ)
]])
string(CONFIGURE "${gatewatch_install_etc}" gatewatch_install_etc @ONLY)
install(CODE "${gatewatch_install_etc}")

file(GLOB gatewatch_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${gatewatch_docs}
        DESTINATION ${CMAKE_INSTALL_DOCDIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# `install` (and so cpack's preinstall step) does not build `all` first: a package needs the
# gatewatch binary, not every test and benchmark. Build the gatewatch target before cpack.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# ---- CPack: one .deb ---------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gatewatch)
set(CPACK_PACKAGE_VENDOR "gatewatch")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "gatewatch maintainers <gatewatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "nginx upstream failure alerts (502/503/504) from the logs")
set(CPACK_PACKAGE_DESCRIPTION
    "gatewatch follows nginx's access and error logs (inotify, across rotation) and alerts the \
on-call people within seconds when the application behind nginx starts failing: 502/503/504 \
storms, with the failing requests and the matching error.log lines, to Slack, webhooks or \
Alertmanager. `gatewatch scan` replays rotated and gzipped logs to find when an incident began.")
# The binary is built with debug info in CI (RelWithDebInfo); the package carries none.
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
# Library dependencies come from dpkg-shlibdeps (package dpkg-dev); postinst needs adduser.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
# Maintainer scripts 0755 and conffiles 0644 in control.tar, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
