#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace pw::http {

/// A byte stream (Asio's AsyncReadStream and AsyncWriteStream) over a plain TCP stream or TLS
/// over one, behind one type: Beast's HTTP read and write operations, instantiated per stream
/// type and per completion, are then compiled once for both instead of twice. Each operation
/// costs one small allocation (the ErasedHandler). Holds a reference to the stream, which
/// must outlive it. A read reads into the first non-empty buffer, a write gathers at most
/// `kMaxBuffers` buffers, as `async_read_some` and `async_write_some` allow.
///
/// Thread safety: as the wrapped stream (one read and one write at a time, on its executor).
/// A completion handler of signature `void(error_code, std::size_t)` behind one type, keeping
/// the wrapped handler's associated executor (as an any_io_executor) and cancellation slot.
/// (Boost 1.81's `asio::any_completion_handler` cannot be used: its `any_completion_executor`
/// lacks the `blocking.never` property Beast's tcp_stream requires of a handler's executor.)
///
/// Thread safety: a handler; invoked once, on its executor.
class ErasedHandler {
  public:
    using executor_type = boost::asio::any_io_executor;
    using cancellation_slot_type = boost::asio::cancellation_slot;

    template <class Handler>
    ErasedHandler(Handler&& handler, const executor_type& fallback)
        : executor_(boost::asio::get_associated_executor(handler, fallback)),
          slot_(boost::asio::get_associated_cancellation_slot(handler)),
          impl_(std::make_unique<Impl<std::decay_t<Handler>>>(std::forward<Handler>(handler))) {}

    executor_type get_executor() const noexcept { return executor_; }
    cancellation_slot_type get_cancellation_slot() const noexcept { return slot_; }

    /// Frees the wrapped handler's state before calling it (as Asio requires of handlers).
    void operator()(boost::system::error_code ec, std::size_t n) {
        auto impl = std::move(impl_);
        auto* raw = impl.get();
        raw->call(std::move(impl), ec, n);
    }

  private:
    struct Base {
        virtual ~Base() = default;
        virtual void call(std::unique_ptr<Base> self, boost::system::error_code ec,
                          std::size_t n) = 0;
    };
    template <class Handler>
    struct Impl final : Base {
        explicit Impl(Handler h) : handler(std::move(h)) {}
        void call(std::unique_ptr<Base> self, boost::system::error_code ec,
                  std::size_t n) override {
            Handler local(std::move(handler));
            self.reset();
            std::move(local)(ec, n);
        }
        Handler handler;
    };
    executor_type executor_;
    cancellation_slot_type slot_;
    std::unique_ptr<Base> impl_;
};

class AnyStream {
  public:
    using executor_type = boost::asio::any_io_executor;
    using Handler = ErasedHandler;
    static constexpr std::size_t kMaxBuffers = 16;

    /// Up to kMaxBuffers buffers (a ConstBufferSequence).
    struct Buffers {
        using value_type = boost::asio::const_buffer;
        using const_iterator = const boost::asio::const_buffer*;
        std::array<boost::asio::const_buffer, kMaxBuffers> items;
        std::size_t count = 0;
        const_iterator begin() const { return items.data(); }
        const_iterator end() const { return items.data() + count; }
    };

    template <class Stream>
    requires(!std::is_same_v<std::remove_cv_t<Stream>, AnyStream>) explicit AnyStream(
        Stream& stream)
        : impl_(std::make_unique<Model<Stream>>(stream)) {}

    executor_type get_executor() const noexcept { return impl_->executor(); }

    template <class MutableBufferSequence, class Token>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
        boost::asio::mutable_buffer first;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers); ++it) {
            first = boost::asio::mutable_buffer(*it);
            if (first.size() != 0) break;
        }
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, boost::asio::mutable_buffer b) {
                impl_->read_some(b, Handler(std::move(handler), impl_->executor()));
            },
            token, first);
    }

    template <class ConstBufferSequence, class Token>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
        Buffers list;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers) && list.count < kMaxBuffers; ++it) {
            boost::asio::const_buffer b(*it);
            if (b.size() != 0) list.items[list.count++] = b;
        }
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const Buffers& l) {
                impl_->write_some(l, Handler(std::move(handler), impl_->executor()));
            },
            token, list);
    }

  private:
    struct Concept {
        virtual ~Concept() = default;
        virtual executor_type executor() = 0;
        virtual void read_some(boost::asio::mutable_buffer buffer, Handler handler) = 0;
        virtual void write_some(const Buffers& buffers, Handler handler) = 0;
    };
    template <class Stream>
    struct Model final : Concept {
        explicit Model(Stream& s) : stream(s) {}
        executor_type executor() override { return stream.get_executor(); }
        void read_some(boost::asio::mutable_buffer buffer, Handler handler) override {
            stream.async_read_some(buffer, std::move(handler));
        }
        void write_some(const Buffers& buffers, Handler handler) override {
            stream.async_write_some(buffers, std::move(handler));
        }
        Stream& stream;
    };
    std::unique_ptr<Concept> impl_;
};

}  // namespace pw::http
