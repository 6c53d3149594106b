// The link check of one layer (cmake/Layers.cmake): linked with the whole layer library and the
// layers below it only, so a call from the layer into one above it does not link.
int main() { return 0; }
