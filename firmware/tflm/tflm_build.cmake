# What the TFLM library project and the firmware's TFLM workload share: the
# include paths, definitions and flags every TFLM translation unit needs, and
# the kernel groups hil can run (one per TFLite operator family it reads).

# Kernel file stems in tensorflow/lite/micro/kernels/, one per group of
# operators (pooling serves AVERAGE_POOL_2D and MAX_POOL_2D, activations
# RELU and RELU6). hil's model compiler names these (tflm_ops.txt).
set(HIL_TFLM_KERNEL_GROUPS
    activations add concatenation conv depthwise_conv dequantize fully_connected logistic mul
    pad pooling quantize reshape softmax tanh)

# No -g: debug information makes each TFLM compile a fifth slower, and the
# map files name every symbol anyway.
# The flags TFLM's own Makefile builds Cortex-M targets with, less its
# warnings-as-errors (third-party code), and the schema's locale choice
# (flatbuffers' TFLM patch makes it the default; a fetched tree may lack it).
function(hil_tflm_settings target kernels)
  target_include_directories(${target} SYSTEM PRIVATE
    ${HIL_TFLM_ROOT}/tflite-micro ${HIL_TFLM_ROOT}/flatbuffers/include
    ${HIL_TFLM_ROOT}/gemmlowp ${HIL_TFLM_ROOT}/ruy
    ${HIL_TFLM_ROOT}/cmsis-nn ${HIL_TFLM_ROOT}/cmsis-nn/Include)
  target_compile_definitions(${target} PRIVATE
    TF_LITE_STATIC_MEMORY TF_LITE_MCU_DEBUG_LOG TF_LITE_DISABLE_X86_NEON
    KERNELS_OPTIMIZED_FOR_SPEED FLATBUFFERS_LOCALE_INDEPENDENT=0
    ARM_NN_ENABLE_F16=0 ARM_NN_ENABLE_F32=0
    $<$<STREQUAL:${kernels},cmsis-nn>:CMSIS_NN>)
  target_compile_options(${target} PRIVATE
    ${BOARD_CPU_FLAGS} -mthumb ${HIL_FW_OPT} -ffunction-sections -fdata-sections
    -funsigned-char -ffp-contract=off
    $<$<COMPILE_LANGUAGE:CXX>:-fno-rtti -fno-exceptions -fno-threadsafe-statics
                              -fno-use-cxa-atexit>)
endfunction()
