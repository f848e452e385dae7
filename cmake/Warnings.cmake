# pw_warnings: warning flags for poolwarden's own targets only (never for third-party code).
add_library(pw_warnings INTERFACE)
target_compile_options(pw_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wnon-virtual-dtor -Wimplicit-fallthrough)
# GCC 12 at -O2 reports Asio's coroutine frame operator delete as mismatched with its operator
# new (a false positive on C++20 coroutine frames, fixed in later GCC releases).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(pw_warnings INTERFACE -Wno-mismatched-new-delete)
    # In a unity build every .cpp is #included into one unit, so GCC takes a class defined in a
    # .cpp for one defined in a header and warns when it uses a type of the anonymous namespace.
    if(CMAKE_UNITY_BUILD)
        target_compile_options(pw_warnings INTERFACE -Wno-subobject-linkage)
    endif()
endif()
# clang's -Wconversion includes -Wsign-conversion, GCC's does not (for C++): the same set in both.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(pw_warnings INTERFACE -Wno-sign-conversion)
endif()
if(PW_WERROR)
    target_compile_options(pw_warnings INTERFACE -Werror)
endif()

# Sanitizers apply to everything we build so that instrumented and plain code never mix.
# clang 14's -fsanitize=function cannot compile coroutines ("Cannot represent a difference
# across sections" in daemon/http/client.cpp), so that one UBSan check is left out under clang.
set(pw_no_function_check "")
set(pw_no_vptr_check "")
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    set(pw_no_function_check -fno-sanitize=function)
    # clang 14's vptr check reads the vtable only after probing its memory through a pipe(): in
    # a process with no free descriptor (http_server_test's accept back-off test) every virtual
    # call then reports "invalid vptr", and suppressions cannot match an unread type.
    set(pw_no_vptr_check -fno-sanitize=vptr)
endif()
if(PW_SANITIZE STREQUAL "address")
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                        ${pw_no_function_check} ${pw_no_vptr_check} -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
elseif(PW_SANITIZE STREQUAL "thread")
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
    # -Wno-tsan: GCC notes that TSan does not model the std::atomic_thread_fence inside Asio's
    # handler completion (std_fenced_block); Asio's queues are mutex-protected, which TSan sees.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        add_compile_options(-Wno-tsan)
    endif()
    add_link_options(-fsanitize=thread)
elseif(NOT PW_SANITIZE STREQUAL "")
    message(FATAL_ERROR "PW_SANITIZE must be empty, 'address' or 'thread'")
endif()

# libFuzzer targets (clang, PW_SANITIZE=address): the fuzz targets live in the ASan+UBSan
# build, so one build serves the ASan tests and the fuzzers. Only the libraries a fuzzer
# exercises get libFuzzer's coverage instrumentation (pw_fuzz_instrument, called from
# tests/fuzz); the ASan runtime supplies the coverage callbacks when tests link them.
if(PW_FUZZ AND NOT (CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND PW_SANITIZE STREQUAL "address"))
    message(FATAL_ERROR "PW_FUZZ needs clang and PW_SANITIZE=address (preset asan)")
endif()
