# Precompiled headers (PW_PCH, on by default): the Asio, Beast and nlohmann-json headers (and
# GoogleTest's for the tests) are parsed once per build instead of once per unit. Two host
# targets compile them with the flags their users share (pw_asio's definitions, pw_warnings);
# every unit that uses Asio reuses one of them. The pure modules (model, planner, config,
# codec) do not: Asio must stay out of their units.
option(PW_PCH "Precompile the common third-party headers" ON)

set(pw_pch_common
    <algorithm> <chrono> <functional> <map> <memory> <optional> <set> <string> <string_view>
    <unordered_map> <utility> <variant> <vector>
    <boost/asio/awaitable.hpp> <boost/asio/co_spawn.hpp> <boost/asio/detached.hpp>
    <boost/asio/io_context.hpp> <boost/asio/ip/tcp.hpp> <boost/asio/ssl.hpp>
    <boost/asio/steady_timer.hpp> <boost/asio/use_awaitable.hpp>
    <boost/asio/experimental/awaitable_operators.hpp>
    <boost/beast/core.hpp> <boost/beast/http.hpp> <boost/beast/ssl.hpp>
    <nlohmann/json.hpp>)

if(PW_PCH)
    add_library(pw_pch_lib STATIC ${PROJECT_SOURCE_DIR}/cmake/pch.cpp)
    target_link_libraries(pw_pch_lib PRIVATE pw_asio nlohmann_json::nlohmann_json pw_warnings)
    target_precompile_headers(pw_pch_lib PRIVATE ${pw_pch_common})
endif()

# pw_use_pch(lib|test TARGET...): TARGET's units reuse the library or the test header set.
function(pw_use_pch kind)
    if(PW_PCH)
        foreach(target ${ARGN})
            target_precompile_headers(${target} REUSE_FROM pw_pch_${kind})
        endforeach()
    endif()
endfunction()

# The test host is made on first use (GoogleTest is only looked for when tests are built).
function(pw_make_test_pch)
    if(PW_PCH AND NOT TARGET pw_pch_test)
        add_library(pw_pch_test STATIC ${PROJECT_SOURCE_DIR}/cmake/pch.cpp)
        target_link_libraries(pw_pch_test PRIVATE pw_asio nlohmann_json::nlohmann_json
                              GTest::gmock GTest::gtest pw_warnings)
        target_precompile_headers(pw_pch_test PRIVATE ${pw_pch_common}
                                  <gtest/gtest.h> <gmock/gmock.h>)
    endif()
endfunction()
