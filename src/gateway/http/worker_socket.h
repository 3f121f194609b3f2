#pragma once
// The socket type of a worker's client and upstream connections: bound to the worker's
// io_context executor rather than the type-erased any_io_executor, so no operation pays for
// type-erased work tracking (a worker's sockets never leave its io_context).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace oh::gateway {

using WorkerSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

}  // namespace oh::gateway
