#include "app/dir_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <variant>

namespace pw::app {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

DirWatcher::DirWatcher(asio::any_io_executor executor, std::filesystem::path dir,
                       std::chrono::milliseconds debounce)
    : executor_(executor), debounce_(debounce) {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return;
    if (inotify_add_watch(fd, dir.c_str(),
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                              IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
        ::close(fd);
        return;
    }
    stream_.emplace(executor, fd);
}

DirWatcher::~DirWatcher() = default;

void DirWatcher::cancel() {
    cancelled_ = true;
    if (stream_) stream_->cancel();
}

asio::awaitable<void> DirWatcher::run(std::function<void()> on_change) {
    if (!stream_) co_return;
    std::array<char, 8192> buf{};
    auto read = [&]() -> asio::awaitable<bool> {
        auto [ec, n] = co_await stream_->async_read_some(asio::buffer(buf),
                                                         asio::as_tuple(asio::use_awaitable));
        co_return !ec;
    };
    while (!cancelled_) {
        if (!co_await read()) break;
        // Debounce: editors write several events per save; wait for quiet.
        for (;;) {
            asio::steady_timer quiet(executor_, debounce_);
            auto r = co_await (read() || quiet.async_wait(asio::as_tuple(asio::use_awaitable)));
            if (r.index() == 1 || cancelled_) break;
            if (!std::get<0>(r)) {
                cancelled_ = true;
                break;
            }
        }
        if (cancelled_) break;
        on_change();
    }
}

}  // namespace pw::app
