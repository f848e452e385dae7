#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "model/desired.hpp"

namespace pw::testing {

/// Runs a coroutine to completion on a fresh io_context and returns its result.
template <class T>
T RunSync(boost::asio::awaitable<T> aw) {
    boost::asio::io_context ctx;
    auto f = boost::asio::co_spawn(ctx, std::move(aw), boost::asio::use_future);
    ctx.run();
    return f.get();
}

inline constexpr const char* kSub = "11111111-1111-1111-1111-111111111111";
inline constexpr const char* kVersion140 =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render/versions/1.4.0";
inline constexpr const char* kImageRender =
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-images/providers/"
    "Microsoft.Compute/galleries/studio/images/render";

/// A Batch account spec named `name` (account name `name` + "batch").
model::AccountSpec MakeAccount(const std::string& name);
/// A fixed-scale pool on `image` (a version id).
model::PoolSpec MakePool(const std::string& id, const std::string& account,
                         const std::string& image, int dedicated, int low_priority = 0);
/// An autoscale pool sized for `max_nodes`.
model::PoolSpec MakeAutoPool(const std::string& id, const std::string& account,
                             const std::string& image, int max_nodes);

}  // namespace pw::testing
