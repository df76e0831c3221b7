/* lxcmin test package: a shared library that nothing links against. */
int lxcmin_unused_answer(void)
{
	return 42;
}
