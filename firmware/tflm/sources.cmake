# Where TensorFlow Lite Micro's sources come from, for the DUT's "tflm"
# framework: a local tree (HIL_TFLM_SOURCE_DIR, laid out as
# ../shared/third_party: tflite-micro, cmsis-nn, flatbuffers, gemmlowp, ruy),
# or else the commits TFLM pins, fetched from their public repositories into
# the build folder. Sets HIL_TFLM_ROOT (empty: no TFLM).
set(HIL_TFLM_SOURCE_DIR "" CACHE PATH
    "A local TFLM source tree (tflite-micro, cmsis-nn, flatbuffers, gemmlowp, ruy)")
option(HIL_FETCH_TFLM "Without HIL_TFLM_SOURCE_DIR, fetch TFLM's pinned commits" ON)

set(HIL_TFLM_ROOT "")
if(HIL_TFLM_SOURCE_DIR)
  get_filename_component(HIL_TFLM_ROOT "${HIL_TFLM_SOURCE_DIR}" ABSOLUTE)
  if(NOT EXISTS "${HIL_TFLM_ROOT}/tflite-micro/tensorflow/lite/micro/micro_interpreter.cc")
    message(FATAL_ERROR "HIL_TFLM_SOURCE_DIR=${HIL_TFLM_SOURCE_DIR} holds no "
                        "tflite-micro/tensorflow/lite/micro/micro_interpreter.cc")
  endif()
elseif(HIL_FETCH_TFLM)
  # The commits of ../shared/third_party/MANIFEST.txt: tflite-micro at a
  # fixed commit, and the versions its own download scripts pin.
  include(FetchContent)
  set(root ${CMAKE_BINARY_DIR}/third_party)
  FetchContent_Declare(hil_tflite_micro SOURCE_DIR ${root}/tflite-micro
    GIT_REPOSITORY https://github.com/tensorflow/tflite-micro.git
    GIT_TAG 90b983c2b3f1480642e040bbd2ddb37b998f3424)
  FetchContent_Declare(hil_cmsis_nn SOURCE_DIR ${root}/cmsis-nn
    GIT_REPOSITORY https://github.com/ARM-software/CMSIS-NN.git
    GIT_TAG 4ab83cc3cc98fb85ed6dafb55e8ca02f1628dcae)
  FetchContent_Declare(hil_gemmlowp SOURCE_DIR ${root}/gemmlowp
    GIT_REPOSITORY https://github.com/google/gemmlowp.git
    GIT_TAG 719139ce755a0f31cbf1c37f7f98adcc7fc9f425)
  FetchContent_Declare(hil_ruy SOURCE_DIR ${root}/ruy
    GIT_REPOSITORY https://github.com/google/ruy.git
    GIT_TAG d37128311b445e758136b8602d1bbd2a755e115d)
  message(STATUS "Fetching TensorFlow Lite Micro's pinned sources into ${root} "
                 "(set HIL_TFLM_SOURCE_DIR to use a local tree)")
  FetchContent_Populate(hil_tflite_micro)
  # flatbuffers v25.9.23 with the patch TFLM applies to it.
  FetchContent_Declare(hil_flatbuffers SOURCE_DIR ${root}/flatbuffers
    GIT_REPOSITORY https://github.com/google/flatbuffers.git
    GIT_TAG 187240970746d00bbd26b0f5873ed54d2477f9f3
    PATCH_COMMAND git apply --ignore-whitespace
                  ${root}/tflite-micro/tensorflow/lite/micro/tools/make/flatbuffers.patch)
  FetchContent_Populate(hil_cmsis_nn)
  FetchContent_Populate(hil_gemmlowp)
  FetchContent_Populate(hil_ruy)
  FetchContent_Populate(hil_flatbuffers)
  set(HIL_TFLM_ROOT ${root})
endif()
