# Cross-compiling on Debian with its multiarch cross toolchain (g++-<triplet>) and the target's
# libraries installed as :<arch> packages (dpkg --add-architecture), as deploy/gateway.Dockerfile
# does to build the arm64 image natively on an x86 machine.
#
#   cmake --preset release -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/debian-multiarch.cmake \
#         -DOH_TARGET_TRIPLET=aarch64-linux-gnu
#
# Debian's cross compilers already search /usr/include/<triplet> and /usr/lib/<triplet>; CMake
# learns the library architecture from the compiler and finds the packages' CMake configs there.
# pkg-config must see only the target's .pc files.
if(NOT OH_TARGET_TRIPLET)
  message(FATAL_ERROR "set OH_TARGET_TRIPLET, e.g. aarch64-linux-gnu")
endif()
# try_compile projects re-read this file: hand them the triplet.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES OH_TARGET_TRIPLET)

set(CMAKE_SYSTEM_NAME Linux)
string(REGEX REPLACE "-.*" "" CMAKE_SYSTEM_PROCESSOR "${OH_TARGET_TRIPLET}")
set(CMAKE_C_COMPILER ${OH_TARGET_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${OH_TARGET_TRIPLET}-g++)
set(CMAKE_STRIP ${OH_TARGET_TRIPLET}-strip)

# Programs run on the build machine; libraries, headers and packages come from the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${OH_TARGET_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
