# CMake toolchain file for bare-metal Arm Cortex-M with the GNU Arm Embedded toolchain
# (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi).
#
#   cmake -S boards -B build/fw -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake \
#         -DTM_ARM_CPU_FLAGS="-mcpu=cortex-m4;-mthumb;-mfpu=fpv4-sp-d16;-mfloat-abi=hard" ...
#
# TM_ARM_CPU_FLAGS (a ;-list) selects the core, FPU and float ABI; `tinymem build` takes them from
# the board's board.toml. They go into every compile and link, so newlib's matching multilib
# (e.g. thumb/v7e-m+fp/hard) is linked. TM_ARM_TOOLCHAIN_PREFIX overrides "arm-none-eabi-" (a
# path prefix works too: /opt/gcc-arm/bin/arm-none-eabi-).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TM_ARM_TOOLCHAIN_PREFIX "arm-none-eabi-" CACHE STRING "Prefix of the cross tools")
set(TM_ARM_CPU_FLAGS "" CACHE STRING "Core/FPU/float-ABI flags (;-list), e.g. -mcpu=cortex-m4;-mthumb")
# try_compile projects see the same flags.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TM_ARM_TOOLCHAIN_PREFIX TM_ARM_CPU_FLAGS)

set(CMAKE_C_COMPILER ${TM_ARM_TOOLCHAIN_PREFIX}gcc)
set(CMAKE_ASM_COMPILER ${TM_ARM_TOOLCHAIN_PREFIX}gcc)
set(CMAKE_OBJCOPY ${TM_ARM_TOOLCHAIN_PREFIX}objcopy CACHE FILEPATH "objcopy")
set(CMAKE_SIZE ${TM_ARM_TOOLCHAIN_PREFIX}size CACHE FILEPATH "size")
# No executable can be linked without a linker script: test the compiler with a static library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

string(REPLACE ";" " " _tm_cpu "${TM_ARM_CPU_FLAGS}")
set(CMAKE_C_FLAGS_INIT "${_tm_cpu}")
set(CMAKE_ASM_FLAGS_INIT "${_tm_cpu}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_tm_cpu} --specs=nano.specs -nostartfiles")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
