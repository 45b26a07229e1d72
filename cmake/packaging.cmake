# Packaging (.deb with `cpack -G DEB`) — filled in by the packaging work of issue 5.
