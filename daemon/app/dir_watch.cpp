#include "app/dir_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <variant>

namespace pw::app {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr std::uint32_t kDirEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                     IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;
// The directory's own name appearing or going in its parent (rename, rm -rf, symlink swap).
constexpr std::uint32_t kParentEvents = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;

std::filesystem::path Normalized(std::filesystem::path dir) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(dir, ec);
    if (!ec) dir = abs;
    dir = dir.lexically_normal();
    if (dir.filename().empty() && dir.has_parent_path()) dir = dir.parent_path();
    return dir;
}

}  // namespace

DirWatcher::DirWatcher(asio::any_io_executor executor, std::filesystem::path dir,
                       std::chrono::milliseconds debounce)
    : executor_(executor), dir_(Normalized(std::move(dir))), debounce_(debounce) {
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return;
    stream_.emplace(executor, fd);
    watch_parent();
    watch_dir();
}

void DirWatcher::set_dir(std::filesystem::path dir) {
    dir = Normalized(std::move(dir));
    if (!stream_ || dir == dir_) return;
    const int fd = stream_->native_handle();
    if (dir_wd_ >= 0) inotify_rm_watch(fd, dir_wd_);
    if (parent_wd_ >= 0 && parent_wd_ != dir_wd_) inotify_rm_watch(fd, parent_wd_);
    dir_wd_ = parent_wd_ = -1;
    dir_ = std::move(dir);
    watch_parent();
    watch_dir();
}

void DirWatcher::watch_parent() {
    parent_wd_ = inotify_add_watch(stream_->native_handle(), dir_.parent_path().c_str(),
                                   kParentEvents | IN_ONLYDIR);
}

DirWatcher::~DirWatcher() = default;

void DirWatcher::cancel() {
    cancelled_ = true;
    if (stream_) stream_->cancel();
}

void DirWatcher::watch_dir() {
    const int fd = stream_->native_handle();
    // Same inode: the same watch descriptor comes back. Another one: drop the old watch, so
    // that a directory moved aside no longer counts.
    const int wd = inotify_add_watch(fd, dir_.c_str(), kDirEvents | IN_ONLYDIR);
    if (dir_wd_ >= 0 && wd != dir_wd_) inotify_rm_watch(fd, dir_wd_);
    dir_wd_ = wd;
}

bool DirWatcher::handle(std::span<const char> events) {
    bool changed = false;
    bool rewatch = false;
    const auto name = dir_.filename().string();
    for (std::size_t at = 0; at + sizeof(inotify_event) <= events.size();) {
        inotify_event ev;
        std::memcpy(&ev, events.data() + at, sizeof ev);
        const char* ev_name = events.data() + at + sizeof ev;
        at += sizeof ev + ev.len;
        if (ev.mask & IN_Q_OVERFLOW) {
            changed = rewatch = true;
        } else if (ev.wd == dir_wd_ && dir_wd_ >= 0) {
            changed = true;
            if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) rewatch = true;
        } else if (ev.wd == parent_wd_ && ev.len > 0 && name == ev_name) {
            changed = rewatch = true;
        }
    }
    if (rewatch) watch_dir();
    return changed;
}

asio::awaitable<void> DirWatcher::run(std::function<void()> on_change) {
    if (!stream_) co_return;
    alignas(inotify_event) std::array<char, 8192> buf{};
    // nullopt: the stream failed or was cancelled; else whether the events concern the dir.
    auto read = [&]() -> asio::awaitable<std::optional<bool>> {
        auto [ec, n] = co_await stream_->async_read_some(asio::buffer(buf),
                                                         asio::as_tuple(asio::use_awaitable));
        if (ec) co_return std::nullopt;
        co_return handle(std::span<const char>(buf.data(), n));
    };
    while (!cancelled_) {
        auto first = co_await read();
        if (!first) break;
        if (!*first) continue;
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
