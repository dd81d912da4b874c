import AsyncHTTPClient; public enum P3 {}
