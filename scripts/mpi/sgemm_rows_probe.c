// Does OpenBLAS (single-threaded) give a row of y = x·Wᵀ the same bits whatever M, the number
// of rows in the call? docs/MPI.md records the answer (no). Build and run:
//   gcc -O2 scripts/mpi/sgemm_rows_probe.c $(pkg-config --cflags --libs openblas) -o /tmp/probe && /tmp/probe
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void openblas_set_num_threads(int);
static float rnd(void){ return (float)rand()/RAND_MAX - 0.5f; }
int main(void){
  openblas_set_num_threads(1);
  int i=300,o=100,n=64;
  float *x=malloc(4*n*i),*w=malloc(4*o*i),*y=malloc(4*n*o),*y2=malloc(4*n*o),*y3=malloc(4*n*o);
  for(int k=0;k<n*i;k++)x[k]=rnd(); for(int k=0;k<o*i;k++)w[k]=rnd();
  cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,n,o,i,1,x,i,w,i,0,y,o);
  cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,n,o,i,1,x,i,w,i,0,y3,o);
  printf("repeat same: %d\n", memcmp(y,y3,4*n*o)==0);
  for(int m=8;m<=64;m+=8){
    cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,m,o,i,1,x,i,w,i,0,y2,o);
    int d=0; for(int k=0;k<m*o;k++) d+= y[k]!=y2[k];
    printf("first %d rows: %d of %d differ\n", m, d, m*o);
  }
  // rows starting at an offset
  cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,32,o,i,1,x+32*i,i,w,i,0,y2,o);
  int d=0; for(int k=0;k<32*o;k++) d+= y[32*o+k]!=y2[k]; printf("rows 32..63: %d differ\n", d);
}
