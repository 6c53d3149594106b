# The man page, the Debian copyright and changelog files, and the .deb (cpack -G DEB).
#
# scripts/package.sh is the one way to build the package: it configures with
#   -DCMAKE_INSTALL_PREFIX=/usr (sysconfdir /etc by GNUInstallDirs' rule, as debhelper has it), the Debian hardening flags from dpkg-buildflags, runs cpack and lintian.
#
# What the .deb holds, and why (no maintainer scripts are needed):
#   /usr/bin/gigasync                               stripped (CPACK_STRIP_FILES)
#   /lib/systemd/system/gigasync*.{service,timer}   Debian 12 keeps units in /lib (see the pre-build
#                                                   script); StateDirectory= and ConfigurationDirectory=
#                                                   make /var/lib/gigasync and /etc/gigasync at start,
#                                                   DynamicUser= the user: no postinst. Not enabled:
#                                                   the admin picks the daemon or the timer.
#   /etc/gigasync/gigasync.toml.example             a conffile (every file under /etc is one)
#   /usr/share/gigasync/gigasync.cron               for hosts without systemd, to copy to /etc/cron.d.
#                                                   Not shipped in /etc/cron.d: on a systemd host the
#                                                   units are the way to run it, and an active cron
#                                                   file next to the daemon or the timer would sync
#                                                   twice as often; a commented-out one would be a
#                                                   conffile left behind after `apt remove`.
#   /usr/share/man/man1/gigasync.1.gz               gzip -9n at build time (reproducible)
#   /usr/share/doc/gigasync/copyright, changelog.Debian.gz
#   /usr/share/lintian/overrides/gigasync           see packaging/lintian-overrides

find_program(GIGASYNC_GZIP gzip REQUIRED)

set(GIGASYNC_DEB_RELEASE 1)
set(GIGASYNC_MAINTAINER "gigasync maintainers <maintainers@users.noreply.r-seed-690847f9.example>")


# --- files made at build time --------------------------------------------------------------------
set(GIGASYNC_DOC_OUT ${CMAKE_BINARY_DIR}/packaging)
add_custom_command(
  OUTPUT ${GIGASYNC_DOC_OUT}/gigasync.1.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${GIGASYNC_DOC_OUT}
  COMMAND ${GIGASYNC_GZIP} -9n -c ${CMAKE_SOURCE_DIR}/man/gigasync.1 > ${GIGASYNC_DOC_OUT}/gigasync.1.gz
  DEPENDS ${CMAKE_SOURCE_DIR}/man/gigasync.1
  COMMENT "Compressing the man page gigasync(1)"
  VERBATIM)

set(GIGASYNC_DEB_VERSION ${PROJECT_VERSION}-${GIGASYNC_DEB_RELEASE})
configure_file(${CMAKE_SOURCE_DIR}/packaging/changelog.Debian.in ${GIGASYNC_DOC_OUT}/changelog.Debian @ONLY)
add_custom_command(
  OUTPUT ${GIGASYNC_DOC_OUT}/changelog.Debian.gz
  COMMAND ${GIGASYNC_GZIP} -9n -c ${GIGASYNC_DOC_OUT}/changelog.Debian > ${GIGASYNC_DOC_OUT}/changelog.Debian.gz
  DEPENDS ${GIGASYNC_DOC_OUT}/changelog.Debian
  VERBATIM)

add_custom_target(gigasync_docs ALL DEPENDS ${GIGASYNC_DOC_OUT}/gigasync.1.gz ${GIGASYNC_DOC_OUT}/changelog.Debian.gz)

install(FILES ${GIGASYNC_DOC_OUT}/gigasync.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/copyright ${GIGASYNC_DOC_OUT}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# lintian overrides, each with its reason (packaging/lintian-overrides).
install(FILES ${CMAKE_SOURCE_DIR}/packaging/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME gigasync)

# --- CPack: the .deb -----------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gigasync)
set(CPACK_PACKAGE_VENDOR "gigasync maintainers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${GIGASYNC_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "two-way SQLite mirror of a Gigapay account's integrations")
# The extended description as dpkg shows it: lintian wants its lines under 80 columns.
set(CPACK_PACKAGE_DESCRIPTION [=[gigasync keeps a local SQLite mirror of a Gigapay account's integrations in
step with the Gigapay API, in both directions. Query the mirror with SQL for
reports; fix integration data with a plain UPDATE, and gigasync pushes it
back with an idempotency key, exactly once. Conflicts are found, logged and
recorded.

It runs as a hardened systemd service (gigasync.service), from a timer
(gigasync-sync.timer) or cron, or by hand, and ships a local Gigapay-compatible
API (gigasync sandbox) for demos and tests.]=])
# The install rules are run with DESTDIR=<staging> and the prefix /usr, so absolute destinations
# (CMAKE_INSTALL_SYSCONFDIR=/etc) land in the package and the units name /usr/bin/gigasync.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Stripped in the pre-build script the way dh_strip does it (CPACK_STRIP_FILES runs a bare `strip`,
# which leaves the .comment and .note sections lintian reports).
set(CPACK_STRIP_FILES OFF)
set(CPACK_GIGASYNC_STRIP "${CMAKE_STRIP}")
set(CPACK_DEBIAN_PACKAGE_NAME gigasync)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${GIGASYNC_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)   # gigasync_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${GIGASYNC_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)    # Depends: from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "sqlite3")   # to query and edit the mirror
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
file(WRITE ${GIGASYNC_DOC_OUT}/deb-control/conffiles "/etc/gigasync/gigasync.toml.example\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${GIGASYNC_DOC_OUT}/deb-control/conffiles)
# Moves the units from /usr/lib/systemd/system to /lib/systemd/system and refuses a staging tree
# with /usr/etc (a build configured without -DCMAKE_INSTALL_SYSCONFDIR=/etc).
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_SOURCE_DIR}/packaging/deb-layout.cmake)
set(CPACK_SOURCE_GENERATOR "")
include(CPack)
