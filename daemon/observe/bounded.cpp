#include "observe/bounded.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

namespace pw::observe {

namespace asio = boost::asio;

asio::awaitable<void> RunBounded(std::vector<std::function<asio::awaitable<void>()>> tasks,
                                 int limit) {
    if (tasks.empty()) co_return;
    auto ex = co_await asio::this_coro::executor;
    std::size_t next = 0;
    std::size_t workers =
        std::min<std::size_t>(tasks.size(), static_cast<std::size_t>(std::max(1, limit)));
    std::size_t running = workers;
    std::exception_ptr first_error;
    asio::steady_timer done(ex, asio::steady_timer::time_point::max());
    for (std::size_t w = 0; w < workers; ++w) {
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                while (next < tasks.size()) {
                    auto i = next++;
                    co_await tasks[i]();
                }
            },
            [&](std::exception_ptr e) {
                if (e && !first_error) first_error = e;
                if (--running == 0) done.cancel();
            });
    }
    // Wait even when this coroutine is cancelled: the workers reference this frame.
    while (running > 0) co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (first_error) std::rethrow_exception(first_error);
}

}  // namespace pw::observe
