# Included at the end of the if(GIGASYNC_TESTS) block of CMakeLists.txt.
# The install tests (tests/integration/install_test.cpp, systemd_units_test.cpp) run
# `cmake --install` of this build folder, which installs the man page and changelog made by the
# gigasync_docs target: build them with the integration tests, also when only that target is built.
add_dependencies(gigasync_integration_tests gigasync_docs)
