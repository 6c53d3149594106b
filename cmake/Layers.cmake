# The layers: each folder of src/ is one static library that links only the layers below it
# (ARCHITECTURE.md, "Layers"). gigasync_layer(NAME BELOW <every layer below, transitively>
# LIBS <external libraries>) makes the library gigasync_NAME from src/NAME/*.cpp and:
#  - compiles it with GIGASYNC_SEES_<layer> = 1 for itself and the layers below, 0 for the rest,
#    so that a header of a layer above fails to compile (include/gigasync/layer.h);
#  - links it to those layers only, and builds layer_check_NAME, which links the library whole
#    (every object file) with them: a call into a layer above is an undefined reference there.
set(GIGASYNC_ALL_LAYERS util model json http config store outbox sync ops daemon sandbox cli)

function(gigasync_layer name)
  cmake_parse_arguments(L "" "" "BELOW;LIBS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(gigasync_${name} STATIC ${sources})
  target_include_directories(gigasync_${name} PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/generated
                             PRIVATE ${CMAKE_SOURCE_DIR}/src)
  set(defs GIGASYNC_IN_LAYER=1)
  foreach(layer IN LISTS GIGASYNC_ALL_LAYERS)
    if(layer STREQUAL name OR layer IN_LIST L_BELOW)
      list(APPEND defs GIGASYNC_SEES_${layer}=1)
    else()
      list(APPEND defs GIGASYNC_SEES_${layer}=0)
    endif()
    if(layer STREQUAL name)
      list(APPEND defs GIGASYNC_OWN_${layer}=1)
    else()
      list(APPEND defs GIGASYNC_OWN_${layer}=0)
    endif()
  endforeach()
  target_compile_definitions(gigasync_${name} PRIVATE ${defs})
  set(below)
  foreach(layer IN LISTS L_BELOW)
    list(APPEND below gigasync_${layer})
  endforeach()
  target_link_libraries(gigasync_${name} PUBLIC ${below} ${L_LIBS} gigasync_sanitizers PRIVATE gigasync_warnings)
  if(GIGASYNC_PRECOMPILE)
    target_precompile_headers(gigasync_${name} REUSE_FROM gigasync_pch)
  endif()
  add_executable(layer_check_${name} ${CMAKE_SOURCE_DIR}/cmake/layer_check.cpp)
  target_link_libraries(layer_check_${name} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,gigasync_${name}>" ${below}
                        ${L_LIBS} gigasync_sanitizers)
endfunction()
