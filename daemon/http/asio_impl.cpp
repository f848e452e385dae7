// Compiles Asio, Asio SSL and Beast once for the whole project (see pw_asio).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
