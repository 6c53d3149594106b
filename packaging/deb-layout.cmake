# CPACK_PRE_BUILD_SCRIPTS for the .deb (cmake/Packaging.cmake): runs on the staging tree after the
# install rules and before dpkg-deb.
#  - Debian 12 ships systemd units in /lib/systemd/system (debhelper's path until the /usr-merge
#    moves are done); the install rules write <prefix>/lib/systemd/system, i.e. /usr/lib/...
#  - the binary is stripped like dh_strip does it;
#  - a build whose sysconfdir is not /etc (a prefix other than /usr, and no
#    -DCMAKE_INSTALL_SYSCONFDIR=/etc) would ship /usr/etc: refused.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
set(root "${CPACK_TEMPORARY_DIRECTORY}")
if(NOT IS_DIRECTORY "${root}/usr/bin")
  message(FATAL_ERROR "deb-layout.cmake: no usr/bin in the staging tree ${root}")
endif()
if(EXISTS "${root}/usr/etc")
  message(FATAL_ERROR "the package would install /usr/etc: configure the build folder with "
                      "-DCMAKE_INSTALL_PREFIX=/usr (sysconfdir is then /etc; scripts/package.sh does), or pass "
                      "-DCMAKE_INSTALL_SYSCONFDIR=/etc")
endif()
if(NOT EXISTS "${root}/etc/gigasync/gigasync.toml.example")
  message(FATAL_ERROR "deb-layout.cmake: /etc/gigasync/gigasync.toml.example is missing from the staging tree")
endif()
if(IS_DIRECTORY "${root}/usr/lib/systemd/system")
  file(MAKE_DIRECTORY "${root}/lib/systemd")
  file(RENAME "${root}/usr/lib/systemd/system" "${root}/lib/systemd/system")
  file(REMOVE_RECURSE "${root}/usr/lib/systemd")
  file(GLOB left "${root}/usr/lib/*")
  if(NOT left)
    file(REMOVE_RECURSE "${root}/usr/lib")
  endif()
endif()

# Strip as dh_strip does (no debug symbols, no .comment/.note sections).
if(NOT CPACK_GIGASYNC_STRIP)
  message(FATAL_ERROR "deb-layout.cmake: no strip program (CMAKE_STRIP is empty)")
endif()
execute_process(COMMAND "${CPACK_GIGASYNC_STRIP}" --remove-section=.comment --remove-section=.note
                        --strip-unneeded "${root}/usr/bin/gigasync"
                RESULT_VARIABLE strip_rc)
if(NOT strip_rc EQUAL 0)
  message(FATAL_ERROR "deb-layout.cmake: strip failed on usr/bin/gigasync (${strip_rc})")
endif()
