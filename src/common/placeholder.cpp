// Keeps oh_common a non-empty library until the first shared helper lands.
namespace oh::common { int placeholder = 0; }
