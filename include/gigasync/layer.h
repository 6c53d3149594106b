#pragma once
// The layer rule, checked by the compiler (ARCHITECTURE.md, "Layers").
//
// Each folder of src/ is one static library, and each header says where it belongs:
//   GIGASYNC_LAYER(store);    a public header (include/gigasync/): for its layer and those above it
//   GIGASYNC_PRIVATE(store);  a header in src/store/: for the files of that layer only
// CMakeLists.txt compiles every library with GIGASYNC_SEES_<layer> = 1 for itself and the layers
// below it (0 for the others) and GIGASYNC_OWN_<layer> = 1 for itself, from the same list of
// dependencies it links with. So a header included the wrong way fails to compile with the
// message below, and a call the wrong way fails to link (the layer_check_* executables link each
// library whole against the layers below it only). Code outside the libraries (main.cpp, the
// tests) sees every header.
#ifdef GIGASYNC_IN_LAYER
#define GIGASYNC_LAYER(name)                     \
  static_assert(GIGASYNC_SEES_##name,            \
                "layer rule: a header of layer '" #name "' is included from a layer below it (ARCHITECTURE.md, Layers)")
#define GIGASYNC_PRIVATE(name)                   \
  static_assert(GIGASYNC_OWN_##name,             \
                "layer rule: a private header of src/" #name "/ is included from another library (ARCHITECTURE.md, Layers)")
#else
#define GIGASYNC_LAYER(name) static_assert(true, "")
#define GIGASYNC_PRIVATE(name) static_assert(true, "")
#endif
