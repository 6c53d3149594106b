# .deb packaging with CPack (cpack -G DEB); filled in by the packaging work.
