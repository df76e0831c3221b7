/* lxcmin test package: deliberately does not compile. */
int main(void)
{
	return lxcmin_this_function_does_not_exist(
}
