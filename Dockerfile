FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 POSTURE_DATA_DIR=/data
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --home /app posture && mkdir -p /data && chown posture /data
USER posture
EXPOSE 8000
CMD ["gunicorn", "posture.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
