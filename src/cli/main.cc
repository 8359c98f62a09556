#include <cstdio>
int main() { std::puts("sparseloom"); return 0; }
